import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, stream, type CallResult, type PluginInfo, type Problem, type StreamEvent } from '../api';
import { errorText, usePoll } from '../hooks';
import { SchemaForm } from '../form';
import { ResultView } from '../result';
import { initialValue, validate, type Schema } from '../schema-form';
import { loadPlugins } from './catalogue';

/** The call a curl command makes, with the key left to the shell as `$CCP_KEY`. */
export function curlFor(origin: string, path: string, input: unknown): string {
  return [
    `curl -sS -X POST '${origin}${path}' \\`,
    `  -H "authorization: Bearer $CCP_KEY" \\`,
    `  -H 'content-type: application/json' \\`,
    `  --data-binary @- <<'JSON'`,
    JSON.stringify(input, null, 2),
    'JSON',
  ].join('\n');
}

interface Run {
  readonly mode: 'stream' | 'job';
  readonly text: string;
  readonly tools: readonly { name: string; summary?: string }[];
  readonly result?: CallResult;
  readonly problem?: Problem | string;
  readonly state: 'running' | 'done' | 'failed' | 'cancelled';
  readonly jobId?: string;
}

export function PlaygroundView({ plugin, operation }: { plugin: string | undefined; operation: string | undefined }) {
  const { data: plugins, error } = usePoll(loadPlugins, undefined);
  const choices = useMemo(() => (plugins ?? []).flatMap((p) => p.operations.map((op) => ({ plugin: p, op }))), [plugins]);
  const chosen = choices.find((c) => c.plugin.id === plugin && c.op.name === operation) ?? choices[0];
  return (
    <section aria-labelledby="playground-title">
      <h1 id="playground-title">Playground</h1>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {!plugins ? <p aria-live="polite">Loading…</p> : null}
      {chosen ? (
        <>
          <label for="operation-choice">Operation</label>
          <select id="operation-choice" value={`${chosen.plugin.id}/${chosen.op.name}`} onChange={(e) => (location.hash = `#/playground/${e.currentTarget.value}`)}>
            {choices.map((c) => <option key={`${c.plugin.id}/${c.op.name}`} value={`${c.plugin.id}/${c.op.name}`}>{c.plugin.id} · {c.op.name}</option>)}
          </select>
          <Operation key={`${chosen.plugin.id}/${chosen.op.name}`} plugin={chosen.plugin} op={chosen.op} />
        </>
      ) : null}
    </section>
  );
}

function Operation({ plugin, op }: { plugin: PluginInfo; op: PluginInfo['operations'][number] }) {
  const schema = (op.inputSchema ?? { type: 'object' }) as Schema;
  const [value, setValue] = useState<unknown>(() => initialValue(schema, op.example));
  const [errors, setErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const [run, setRun] = useState<Run>();
  const [copied, setCopied] = useState('');
  const abort = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => abort.current?.abort(), []);
  const curl = curlFor(location.origin, op.path, value);

  /** Validates as the server would; on an error, shows it beside its field and sends nothing. */
  const checked = (): boolean => {
    const found = validate(schema, value);
    setErrors(new Map(found.map((e) => [e.field, e.message])));
    if (found.length) {
      requestAnimationFrame(() => (document.querySelector('[aria-invalid="true"], .field-error') as HTMLElement | null)?.focus?.());
      return false;
    }
    return true;
  };
  const onEvent = (e: StreamEvent) =>
    setRun((r) => {
      if (!r) return r;
      if (e.event === 'text') return { ...r, text: r.text + String((e.data as { text?: string }).text ?? '') };
      if (e.event === 'tool') return { ...r, tools: [...r.tools, e.data as { name: string; summary?: string }] };
      if (e.event === 'result') return { ...r, result: e.data as CallResult, state: 'done' };
      if (e.event === 'error') return { ...r, problem: e.data as Problem, state: (e.data as Problem).code === 'job_cancelled' ? 'cancelled' : 'failed' };
      return r;
    });
  const start = async (mode: Run['mode']) => {
    if (!checked()) return;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setRun({ mode, text: '', tools: [], state: 'running' });
    try {
      if (mode === 'stream') {
        await stream('POST', op.path, value, onEvent, controller.signal);
      } else {
        const job = await api<{ id: string }>('POST', '/v1/jobs', { plugin: plugin.id, operation: op.name, input: value }, controller.signal);
        setRun((r) => (r ? { ...r, jobId: job.id } : r));
        await stream('GET', `/v1/jobs/${job.id}/events`, undefined, onEvent, controller.signal);
      }
      setRun((r) => (r && r.state === 'running' ? { ...r, state: 'failed', problem: 'the stream ended without a result' } : r));
    } catch (err) {
      if (controller.signal.aborted) setRun((r) => (r ? { ...r, state: 'cancelled' } : r));
      else setRun((r) => (r ? { ...r, state: 'failed', problem: errorText(err) } : r));
    }
  };
  const cancel = async () => {
    const jobId = run?.jobId;
    // A streamed call ends when its connection closes; a job is cancelled on the server first.
    if (jobId) await api('DELETE', `/v1/jobs/${jobId}`).catch(() => undefined);
    abort.current?.abort();
    setRun((r) => (r ? { ...r, state: 'cancelled' } : r));
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(curl);
      setCopied('Copied.');
    } catch {
      setCopied('Select the command and copy it.');
    }
  };

  return (
    <div class="playground">
      <div class="pane">
        <h2>{plugin.id} · {op.name}</h2>
        <p>{op.description}</p>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void start('stream');
          }}
        >
          <SchemaForm schema={schema} value={value} errors={errors} onChange={setValue} />
          {errors.size ? <p class="error" role="alert" data-testid="form-errors">Fix {errors.size} field{errors.size === 1 ? '' : 's'} before running: nothing was sent.</p> : null}
          <div class="actions">
            <button type="submit" disabled={run?.state === 'running'}>Run</button>
            <button type="button" disabled={run?.state === 'running'} onClick={() => void start('job')}>Run as a job</button>
            <button type="button" class="danger" disabled={run?.state !== 'running'} onClick={() => void cancel()}>Cancel</button>
            <button type="button" class="link" onClick={() => { setValue(initialValue(schema, op.example)); setErrors(new Map()); }}>Fill from the example</button>
          </div>
        </form>
        <details class="curl">
          <summary>Copy as curl</summary>
          <p class="hint">Set <code>CCP_KEY</code> in your shell first: the key is never put in the command.</p>
          <pre tabIndex={0} data-testid="curl">{curl}</pre>
          <button type="button" onClick={() => void copy()}>Copy as curl</button> <span aria-live="polite">{copied}</span>
        </details>
      </div>
      <div class="pane output" aria-live="polite">
        <h2>Output</h2>
        {!run ? <p class="muted">Run the operation to see the agent work here.</p> : null}
        {run ? (
          <>
            <p class={`state state-${run.state}`} data-testid="run-state">
              {run.mode === 'job' ? `Job ${run.jobId ?? ''}` : 'Streamed call'}: {run.state}
            </p>
            <h3>Text</h3>
            <div class="stream-text" data-testid="stream-text" tabIndex={0} role="region" aria-label="Streamed text">{run.text}</div>
            <h3>Tool calls</h3>
            {run.tools.length ? (
              <ol class="tools" data-testid="tool-calls">
                {run.tools.map((t, i) => <li key={i}><code>{t.name}</code> {t.summary ?? ''}</li>)}
              </ol>
            ) : <p class="muted">none yet</p>}
            {run.problem ? <p class="error" role="alert">{typeof run.problem === 'string' ? run.problem : `${run.problem.status} ${run.problem.code ?? ''}: ${run.problem.detail ?? run.problem.title ?? ''}`}</p> : null}
            {run.result ? <ResultView body={run.result} /> : null}
          </>
        ) : null}
      </div>
    </div>
  );
}
