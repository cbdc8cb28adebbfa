import { useState } from 'preact/hooks';
import { api, apiText } from '../api';
import type { ApiKey, IssuedApiKey, UsageReport } from '../api-types';
import { errorText, usePoll } from '../hooks';

/*
 * Key management (/v1/admin/keys) and spend from the usage ledger (GET /v1/admin/usage), read
 * with the types generated from the routes' own declarations (a server without a database
 * answers them 503, and the panels show that problem).
 */

/** How a key is recognised without its secret: each live secret's prefix and last 4 characters. */
const shownAs = (k: ApiKey): string => (k.secrets ?? []).map((x) => `${x.prefix}…${x.last4}`).join(', ') || '–';

/** API keys: list, create (the secret shown once, with a copy button), rotate with a grace period, revoke. */
export function KeysPanel() {
  const { data, error, reload } = usePoll(() => api<{ keys: ApiKey[] }>('GET', '/v1/admin/keys').then((b) => b.keys), undefined);
  const [form, setForm] = useState({ name: '', roles: 'user', plugins: '*', expiresAt: '' });
  const [secret, setSecret] = useState<{ name: string; value: string }>();
  const [problem, setProblem] = useState<string>();
  const [copied, setCopied] = useState('');
  const act = async (fn: () => Promise<unknown>, name: string) => {
    try {
      const body = (await fn()) as Partial<IssuedApiKey> | undefined;
      const value = body?.secret;
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
      <h2>API keys</h2>
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
                  <td><code>{shownAs(k)}</code></td>
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

/** Spend from the ledger, grouped by key, plugin or day, with a CSV download of the same query. */
export function SpendPanel() {
  const [groupBy, setGroupBy] = useState<'key' | 'plugin' | 'day'>('day');
  // `to` is exclusive and defaults to now, so it is left out: today's calls are in.
  const from = new Date(Date.now() - 30 * 86_400_000);
  const query = `from=${from.toISOString().slice(0, 10)}&groupBy=${groupBy}`;
  const { data, error, reload } = usePoll(() => api<UsageReport>('GET', `/v1/admin/usage?${query}&format=json`), undefined, [query]);
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
  const usd = (x: number) => `$${x.toFixed(4)}`;
  return (
    <div class="card" data-testid="spend">
      <h2>Spend, last 30 days</h2>
      <label for="spend-group">Group by</label>
      <select id="spend-group" value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as 'key' | 'plugin' | 'day')}>
        <option value="day">day</option><option value="key">key</option><option value="plugin">plugin</option>
      </select>{' '}
      <button type="button" onClick={reload}>Refresh spend</button>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {data ? (
        <div class="table-wrap">
          <table>
            <caption>Spend by {groupBy}, {data.from.slice(0, 10)} to {data.to.slice(0, 10)}</caption>
            <thead><tr><th scope="col">{groupBy}</th><th scope="col">Calls</th><th scope="col">Answered</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th><th scope="col">Cost (USD)</th></tr></thead>
            <tbody>
              {data.groups.map((g) => (
                <tr key={g.group}>
                  <td>{g.keyName ? `${g.keyName} (${g.group})` : g.group}</td><td>{g.calls}</td><td>{g.answered}</td><td>{g.inputTokens}</td><td>{g.outputTokens}</td><td>{usd(g.costUsd)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot><tr><th scope="row">Total</th><td>{data.total.calls}</td><td>{data.total.answered}</td><td>{data.total.inputTokens}</td><td>{data.total.outputTokens}</td><td>{usd(data.total.costUsd)}</td></tr></tfoot>
          </table>
        </div>
      ) : null}
      <button type="button" onClick={() => void download()}>Prepare the CSV</button> {csv ? <a href={csv} download={`usage-by-${groupBy}.csv`}>Download usage-by-{groupBy}.csv</a> : null}
      {csvProblem ? <p class="error" role="alert">{csvProblem}</p> : null}
    </div>
  );
}
