import type { CallResult } from './api';

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly endLine?: number;
  readonly severity: string;
  readonly ruleId?: string;
  readonly category?: string;
  readonly message: string;
  readonly suggestion?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCodeFile = (v: unknown): v is { path: string; content: string } => isObj(v) && typeof v.path === 'string' && typeof v.content === 'string';

/** A code review's findings: one row each, coloured by severity, located as file:line. */
export function FindingsTable({ findings }: { findings: readonly Finding[] }) {
  if (findings.length === 0) return <p class="findings-none">No findings.</p>;
  return (
    <div class="table-wrap">
      <table class="findings">
        <caption>Findings ({findings.length})</caption>
        <thead>
          <tr><th scope="col">Severity</th><th scope="col">Location</th><th scope="col">Rule</th><th scope="col">Message</th><th scope="col">Suggestion</th></tr>
        </thead>
        <tbody>
          {findings.map((f, i) => (
            <tr key={i}>
              <td><span class={`sev sev-${f.severity}`}>{f.severity}</span></td>
              <td class="loc"><code>{f.file}:{f.line}{f.endLine && f.endLine !== f.line ? `-${f.endLine}` : ''}</code></td>
              <td><code>{f.ruleId ?? f.category ?? ''}</code></td>
              <td>{f.message}</td>
              <td>{f.suggestion ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Any operation's structured result: findings as a table, documents and tests as code blocks, the rest as fields. */
export function ResultView({ body }: { body: CallResult }) {
  return (
    <section class="result" aria-labelledby="result-title">
      <h3 id="result-title">Result</h3>
      <UsageLine body={body} />
      <ResultFields result={body.result} />
      <details>
        <summary>Raw JSON</summary>
        <pre tabIndex={0} class="raw" data-testid="raw-result">{JSON.stringify(body, null, 2)}</pre>
      </details>
    </section>
  );
}

/** A structured result's fields, each rendered by its shape (findings, code files, text, lists, JSON). */
export function ResultFields({ result }: { result: unknown }) {
  if (!isObj(result)) return <pre tabIndex={0}>{JSON.stringify(result, null, 2)}</pre>;
  return <>{Object.entries(result).map(([k, v]) => <ResultField name={k} value={v} key={k} />)}</>;
}

function ResultField({ name, value }: { name: string; value: unknown }) {
  if (name === 'findings' && Array.isArray(value)) return <FindingsTable findings={value as Finding[]} />;
  if (Array.isArray(value) && value.length > 0 && value.every(isCodeFile)) {
    return (
      <div class="code-files">
        <h4>{name}</h4>
        {value.map((f) => (
          <figure key={f.path}>
            <figcaption><code>{f.path}</code></figcaption>
            <pre tabIndex={0} class="code"><code>{f.content}</code></pre>
          </figure>
        ))}
      </div>
    );
  }
  if (typeof value === 'string') {
    return (
      <div class="result-field">
        <h4>{name}</h4>
        {value.includes('\n') ? <pre tabIndex={0} class="code"><code>{value}</code></pre> : <p>{value}</p>}
      </div>
    );
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return (
      <div class="result-field">
        <h4>{name}</h4>
        {value.length ? <ul>{value.map((v) => <li key={v}><code>{v}</code></li>)}</ul> : <p class="muted">none</p>}
      </div>
    );
  }
  return (
    <div class="result-field">
      <h4>{name}</h4>
      <pre tabIndex={0}>{JSON.stringify(value, null, 2)}</pre>
    </div>
  );
}

/** Tokens, cost and duration of a call. */
export function UsageLine({ body }: { body: Pick<CallResult, 'usage' | 'durationMs'> }) {
  const u = body.usage;
  return (
    <dl class="usage">
      <div><dt>Input tokens</dt><dd>{u.inputTokens}</dd></div>
      <div><dt>Output tokens</dt><dd>{u.outputTokens}</dd></div>
      <div><dt>Cache read</dt><dd>{u.cacheReadInputTokens}</dd></div>
      <div><dt>Cost</dt><dd data-testid="cost">${u.costUsd.toFixed(4)}</dd></div>
      <div><dt>Duration</dt><dd data-testid="duration">{(body.durationMs / 1000).toFixed(2)} s</dd></div>
    </dl>
  );
}
