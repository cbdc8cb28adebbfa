import { useState } from 'preact/hooks';
import { api, apiText } from '../api';
import { errorText, usePoll } from '../hooks';

/*
 * PREVIEW, against issue 19's routes as that issue names them (key management under
 * /v1/admin/keys and the usage ledger behind GET /v1/admin/usage?from&to&groupBy&format),
 * which are being built on another branch. The exact JSON shapes are not settled yet: these
 * views read them leniently and are shown only when this server's OpenAPI document lists
 * the routes, so on a server without them nothing is called.
 */

/** Whether the server documents issue 19's key-management and ledger routes. */
export async function keyManagementServed(): Promise<{ keys: boolean; ledger: boolean }> {
  const doc = await api<{ paths?: Record<string, Record<string, { parameters?: { name: string }[] }>> }>('GET', '/openapi.json');
  const paths = doc.paths ?? {};
  const usage = paths['/v1/admin/usage']?.get;
  return { keys: Boolean(paths['/v1/admin/keys']?.post), ledger: Boolean(usage?.parameters?.some((p) => p.name === 'groupBy')) };
}

/** A key as the list shows it: never its secret. */
interface KeyView {
  readonly id: string;
  readonly name: string;
  readonly roles?: readonly string[];
  readonly plugins?: readonly string[];
  readonly expiresAt?: string | null;
  readonly state?: string;
  readonly source?: string;
  readonly prefix?: string;
  readonly last4?: string;
}

const listOf = (body: unknown): KeyView[] => (Array.isArray(body) ? body : ((body as { keys?: KeyView[] }).keys ?? [])) as KeyView[];
const secretOf = (body: unknown): string | undefined => {
  const b = body as { secret?: string; key?: { secret?: string } };
  return b.secret ?? b.key?.secret;
};

/** API keys: list, create (the secret shown once, with a copy button), rotate with a grace period, revoke. */
export function KeysPanel() {
  const { data, error, reload } = usePoll(() => api<unknown>('GET', '/v1/admin/keys').then(listOf), undefined);
  const [form, setForm] = useState({ name: '', roles: 'user', plugins: '*', expiresAt: '' });
  const [secret, setSecret] = useState<{ name: string; value: string }>();
  const [problem, setProblem] = useState<string>();
  const [copied, setCopied] = useState('');
  const act = async (fn: () => Promise<unknown>, name: string) => {
    try {
      const body = await fn();
      const value = body ? secretOf(body) : undefined;
      setSecret(value ? { name, value } : undefined);
      setCopied('');
      setProblem(undefined);
      reload();
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    const split = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
    void act(() => api('POST', '/v1/admin/keys', { name: form.name, roles: split(form.roles), plugins: split(form.plugins), ...(form.expiresAt ? { expiresAt: new Date(form.expiresAt).toISOString() } : {}) }), form.name);
  };
  return (
    <div class="card" data-testid="keys">
      <h2>API keys <small class="badge">preview: issue 19</small></h2>
      {error || problem ? <p class="error" role="alert">{error ?? problem}</p> : null}
      {secret ? (
        <div class="secret" role="status">
          <p>The secret of <strong>{secret.name}</strong>, shown this once: store it now.</p>
          <pre tabIndex={0} data-testid="new-secret">{secret.value}</pre>
          <button type="button" onClick={() => void navigator.clipboard.writeText(secret.value).then(() => setCopied('Copied.'), () => setCopied('Select the secret and copy it.'))}>Copy the secret</button> <span aria-live="polite">{copied}</span>
        </div>
      ) : null}
      <form class="inline" onSubmit={create}>
        {(['name', 'roles', 'plugins'] as const).map((f) => (
          <span key={f}>
            <label for={`key-${f}`}>{f === 'name' ? 'Name' : f === 'roles' ? 'Roles (comma-separated)' : 'Plugins (comma-separated, * for all)'}</label>
            <input id={`key-${f}`} type="text" value={form[f]} onInput={(e) => setForm({ ...form, [f]: e.currentTarget.value })} required={f === 'name'} />
          </span>
        ))}
        <span>
          <label for="key-expires">Expires (optional)</label>
          <input id="key-expires" type="datetime-local" value={form.expiresAt} onInput={(e) => setForm({ ...form, expiresAt: e.currentTarget.value })} />
        </span>
        <button type="submit">Create a key</button>
      </form>
      {data ? (
        <div class="table-wrap">
          <table>
            <caption>Keys ({data.length})</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Roles</th><th scope="col">Plugins</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {data.map((k) => (
                <tr key={k.id} data-key={k.name}>
                  <td>{k.name}</td>
                  <td><code>{k.prefix ?? ''}…{k.last4 ?? ''}</code></td>
                  <td>{(k.roles ?? []).join(', ')}</td>
                  <td>{(k.plugins ?? []).join(', ')}</td>
                  <td>{k.expiresAt ? new Date(k.expiresAt).toLocaleString() : 'never'}</td>
                  <td>{k.state ?? ''}{k.source === 'file' ? ' (config file)' : ''}</td>
                  <td>
                    {k.source === 'file' ? <span class="muted">read-only</span> : (
                      <>
                        <button type="button" class="link" onClick={() => void act(() => api('POST', `/v1/admin/keys/${encodeURIComponent(k.id)}/rotate`, {}), k.name)}>Rotate {k.name}</button>
                        <button type="button" class="link" onClick={() => void act(() => api('DELETE', `/v1/admin/keys/${encodeURIComponent(k.id)}`), k.name)}>Revoke {k.name}</button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

type Row = Record<string, string | number | null>;

/** Spend from the ledger, grouped by key, plugin or day, with a CSV download of the same query. */
export function SpendPanel() {
  const [groupBy, setGroupBy] = useState<'key' | 'plugin' | 'day'>('day');
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const query = `from=${from.toISOString().slice(0, 10)}&to=${to.toISOString().slice(0, 10)}&groupBy=${groupBy}`;
  const { data, error } = usePoll(() => api<unknown>('GET', `/v1/admin/usage?${query}&format=json`).then((b) => (Array.isArray(b) ? b : ((b as { rows?: Row[]; usage?: Row[] }).rows ?? (b as { usage?: Row[] }).usage ?? [])) as Row[]), undefined, [query]);
  const [csv, setCsv] = useState<string>();
  const [csvProblem, setCsvProblem] = useState<string>();
  const download = async () => {
    try {
      setCsv(URL.createObjectURL(new Blob([await apiText(`/v1/admin/usage?${query}&format=csv`, 'text/csv')], { type: 'text/csv' })));
      setCsvProblem(undefined);
    } catch (err) {
      setCsv(undefined);
      setCsvProblem(errorText(err));
    }
  };
  const columns = data?.[0] ? Object.keys(data[0]) : [];
  return (
    <div class="card" data-testid="spend">
      <h2>Spend, last 30 days <small class="badge">preview: issue 19</small></h2>
      <label for="spend-group">Group by</label>
      <select id="spend-group" value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as 'key' | 'plugin' | 'day')}>
        <option value="day">day</option><option value="key">key</option><option value="plugin">plugin</option>
      </select>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {data ? (
        <div class="table-wrap">
          <table>
            <caption>Spend by {groupBy}</caption>
            <thead><tr>{columns.map((c) => <th scope="col" key={c}>{c}</th>)}</tr></thead>
            <tbody>{data.map((r, i) => <tr key={i}>{columns.map((c) => <td key={c}>{String(r[c] ?? '')}</td>)}</tr>)}</tbody>
          </table>
        </div>
      ) : null}
      <button type="button" onClick={() => void download()}>Prepare the CSV</button> {csv ? <a href={csv} download={`usage-by-${groupBy}.csv`}>Download usage-by-{groupBy}.csv</a> : null}
      {csvProblem ? <p class="error" role="alert">{csvProblem}</p> : null}
    </div>
  );
}
