import { useState } from 'preact/hooks';
import { api } from '../api';
import type { AuditLine } from '../api-types';
import { errorText, usePoll } from '../hooks';
import { KeysPanel } from './admin-keys';
import { BudgetPanel, SpendPanel } from './admin-spend';
import { TableBox } from './table-box';

/**
 * Admin keys only (the navigation hides it from others, and every route it calls answers
 * 403 to them). The audit tail with filters, API keys, spend from the usage ledger (on a
 * server without a database those two say so: their routes answer 503 database_unavailable)
 * and the budgets' live counters against each key's budget.
 */
export function AdminView() {
  const [filters, setFilters] = useState({ key: '', plugin: '', outcome: '' });
  const [applied, setApplied] = useState(filters);
  const query = new URLSearchParams(Object.entries(applied).filter(([, v]) => v)).toString();
  const { data, error } = usePoll(() => api<{ entries: AuditLine[] }>('GET', `/v1/admin/audit?limit=100${query ? `&${query}` : ''}`), 2000, [query]);
  const [breaker, setBreaker] = useState<string>();
  const reset = async () => {
    try {
      const b = await api<{ state: string }>('POST', '/v1/admin/breaker/reset');
      setBreaker(`The breaker is ${b.state}.`);
    } catch (err) {
      setBreaker(errorText(err));
    }
  };
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <div class="card">
        <h2>Audit tail</h2>
        <p class="muted">The last calls this instance audited, newest first (refreshed every 2 s).</p>
        <form class="inline" onSubmit={(e) => { e.preventDefault(); setApplied(filters); }}>
          {(['key', 'plugin', 'outcome'] as const).map((f) => (
            <span key={f}>
              <label for={`audit-${f}`}>{f === 'key' ? 'Key name' : f === 'plugin' ? 'Plugin' : 'Outcome'}</label>
              <input id={`audit-${f}`} type="text" value={filters[f]} onInput={(e) => setFilters({ ...filters, [f]: e.currentTarget.value })} />
            </span>
          ))}
          <button type="submit">Filter</button>
        </form>
        {error ? <p class="error" role="alert">{error}</p> : null}
        {data ? (
          <TableBox label="Audit lines">
            <table data-testid="audit">
              <caption>Audit lines ({data.entries.length})</caption>
              <thead><tr><th scope="col">Time</th><th scope="col">Key</th><th scope="col">Call</th><th scope="col">Transport</th><th scope="col">Outcome</th><th scope="col">Tokens in/out</th><th scope="col">Cost</th><th scope="col">Duration</th></tr></thead>
              <tbody>
                {data.entries.map((a) => (
                  <tr key={a.requestId + a.at}>
                    <td><time dateTime={a.at}>{new Date(a.at).toLocaleTimeString()}</time></td>
                    <td>{a.key}</td>
                    <td>{a.plugin} · {a.operation}</td>
                    <td>{a.transport}</td>
                    <td><span class={a.outcome === 'success' ? 'badge ok' : 'badge bad'}>{a.outcome}</span></td>
                    <td>{a.inputTokens} / {a.outputTokens}</td>
                    <td>${a.costUsd.toFixed(4)}</td>
                    <td>{a.durationMs} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
        ) : null}
      </div>
      <div class="card">
        <h2>Circuit breaker</h2>
        <button type="button" onClick={() => void reset()}>Close the breaker by hand</button> <span aria-live="polite">{breaker}</span>
      </div>
      <KeysPanel />
      <SpendPanel />
      <BudgetPanel />
    </section>
  );
}
