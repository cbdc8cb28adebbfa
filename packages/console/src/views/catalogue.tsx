import { api, type PluginInfo, type Schema } from '../api';
import { usePoll } from '../hooks';
import { typeOf } from '../schema-form';

/** Every plugin the key may use, described in full (`GET /v1/plugins`, then each `GET /v1/plugins/{id}`). */
export async function loadPlugins(): Promise<PluginInfo[]> {
  const { plugins } = await api<{ plugins: PluginInfo[] }>('GET', '/v1/plugins');
  return Promise.all(plugins.map((p) => api<PluginInfo>('GET', `/v1/plugins/${encodeURIComponent(p.id)}`)));
}

export function CatalogueView() {
  const { data, error } = usePoll(loadPlugins, undefined);
  return (
    <section aria-labelledby="catalogue-title">
      <h1 id="catalogue-title">Catalogue</h1>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {!data ? <p aria-live="polite">Loading…</p> : null}
      {data?.map((p) => (
        <article class="plugin card" key={p.id} data-plugin={p.id} aria-labelledby={`plugin-${p.id}`}>
          <h2 id={`plugin-${p.id}`}>{p.id} <small>v{p.version}</small></h2>
          <p>{p.description}</p>
          <dl class="facts">
            <div><dt>Engine</dt><dd>{p.engine}</dd></div>
            <div><dt>Tools</dt><dd>{p.tools.allow.length ? p.tools.allow.join(', ') : 'none'}</dd></div>
            <div><dt>Permission mode</dt><dd>{p.tools.mode}</dd></div>
            {p.model ? <div><dt>Model</dt><dd>{p.model}</dd></div> : null}
            {p.maxTurns ? <div><dt>Max turns</dt><dd>{p.maxTurns}</dd></div> : null}
          </dl>
          {p.operations.map((op) => (
            <section class="operation" key={op.name} aria-label={`${p.id} ${op.name}`}>
              <h3><span class="verb">POST</span> <code>{op.path}</code></h3>
              <p>{op.description}</p>
              {op.formats.length ? <p>Result formats: {op.formats.map((f) => <code key={f.name}>{f.name} </code>)}</p> : null}
              <p><a href={`#/playground/${p.id}/${op.name}`}>Try {op.name} in the playground</a></p>
              {op.inputSchema ? (
                <details>
                  <summary>Input schema</summary>
                  <SchemaTable schema={op.inputSchema} caption={`Input of ${p.id} ${op.name}`} />
                </details>
              ) : null}
              {op.resultSchema ? (
                <details>
                  <summary>Result schema</summary>
                  <SchemaTable schema={op.resultSchema} caption={`Result of ${p.id} ${op.name}`} />
                </details>
              ) : null}
              {op.example !== undefined ? (
                <details>
                  <summary>Example input</summary>
                  <pre tabIndex={0} class="code">{JSON.stringify(op.example, null, 2)}</pre>
                </details>
              ) : null}
            </section>
          ))}
        </article>
      ))}
    </section>
  );
}

interface Row {
  readonly field: string;
  readonly type: string;
  readonly required: boolean;
  readonly rules: string;
  readonly description: string;
}

function rulesOf(s: Schema): string {
  const r: string[] = [];
  if (Array.isArray(s.enum)) r.push(`one of ${(s.enum as unknown[]).join(', ')}`);
  if (typeof s.minLength === 'number') r.push(`≥ ${s.minLength} chars`);
  if (typeof s.maxLength === 'number') r.push(`≤ ${s.maxLength} chars`);
  if (typeof s.minItems === 'number') r.push(`≥ ${s.minItems} items`);
  if (typeof s.maxItems === 'number') r.push(`≤ ${s.maxItems} items`);
  if (typeof s.minimum === 'number') r.push(`≥ ${s.minimum}`);
  if (typeof s.maximum === 'number') r.push(`≤ ${s.maximum}`);
  if (s.default !== undefined) r.push(`default ${JSON.stringify(s.default)}`);
  if (Array.isArray(s.oneOf)) r.push(`exactly one of ${(s.oneOf as Schema[]).map((o) => (o.required as string[] | undefined)?.join('+')).join(', ')}`);
  return r.join('; ');
}

/** A schema flattened into one row per field (`files[].path`), nested objects and arrays included. */
export function schemaRows(s: Schema, prefix = '', isRequired = true, rows: Row[] = []): Row[] {
  const type = typeOf(s) ?? 'any';
  if (prefix) rows.push({ field: prefix, type: type === 'array' ? `array of ${typeOf((s.items ?? {}) as Schema) ?? 'any'}` : type, required: isRequired, rules: rulesOf(s), description: typeof s.description === 'string' ? s.description : '' });
  if (type === 'object' && s.properties) {
    const req = Array.isArray(s.required) ? (s.required as string[]) : [];
    for (const [k, sub] of Object.entries(s.properties as Record<string, Schema>)) schemaRows(sub, prefix ? `${prefix}.${k}` : k, req.includes(k), rows);
  }
  if (type === 'array' && typeof s.items === 'object' && s.items !== null && typeOf(s.items as Schema) === 'object') schemaRows({ ...(s.items as Schema), description: undefined }, `${prefix}[]`, true, rows.length ? rows : rows);
  return rows;
}

function SchemaTable({ schema, caption }: { schema: Schema; caption: string }) {
  const rows = schemaRows(schema).filter((r) => !r.field.endsWith('[]'));
  const top = rulesOf(schema);
  return (
    <div class="table-wrap">
      {top ? <p class="hint">{top}</p> : null}
      <table class="schema">
        <caption>{caption}</caption>
        <thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Rules</th><th scope="col">Description</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.field}>
              <td><code>{r.field}</code></td><td>{r.type}</td><td>{r.required ? 'yes' : 'no'}</td><td>{r.rules}</td><td>{r.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
