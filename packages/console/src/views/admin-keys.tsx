import { useState } from 'preact/hooks';
import { api } from '../api';
import type { ApiKey, IssuedApiKey } from '../api-types';
import { errorText, usePoll } from '../hooks';
import { TableBox } from './table-box';

/*
 * Key management (/v1/admin/keys), read with the types generated from the routes' own
 * declarations (a server without a database answers them 503, and the panel shows that
 * problem). Spend and budgets are in admin-spend.tsx.
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
        <TableBox label="Keys">
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
        </TableBox>
      ) : null}
    </div>
  );
}
