import { api } from '../api';
import type { Status } from '../api-types';
import { usePoll } from '../hooks';
import { InstancesTable } from './instances';

const seconds = (v: number | null) => (v === null ? 'no samples' : `${v.toFixed(2)} s`);

/** Refreshed every second, so an opening breaker shows within one poll. */
export function StatusView() {
  const { data: s, error } = usePoll(() => api<Status>('GET', '/v1/status'), 1000);
  return (
    <section aria-labelledby="status-title">
      <h1 id="status-title">Status</h1>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {!s ? <p aria-live="polite">Loading…</p> : null}
      {s ? (
        <>
          <div class="cards">
            <div class="card stat"><h2>Instance</h2><p><code data-testid="instance-id">{s.instanceId}</code></p><p class="muted">v{s.version}, up {Math.round(s.uptimeSeconds)} s</p></div>
            <div class="card stat"><h2>Circuit breaker</h2><p><span class={`badge breaker-${s.breaker.state}`} data-testid="breaker-state">{s.breaker.state}</span></p>{s.breaker.state !== 'closed' && s.breaker.retryAfterSeconds ? <p class="muted">trial query in {s.breaker.retryAfterSeconds} s</p> : null}</div>
            <div class="card stat"><h2>Admission</h2><p data-testid="admission">{s.admission.running} running / {s.admission.limits.inFlight} · {s.admission.queued} queued</p><p class="muted">{s.admission.limits.starting} starting at once, pool up to {s.admission.limits.poolProcesses}</p></div>
            <div class="card stat"><h2>Pool processes</h2><p data-testid="pool">{s.pool.warming} warming · {s.pool.spare} spare · {s.pool.idle} idle · {s.pool.busy} busy</p></div>
            <div class="card stat"><h2>Time to first token</h2><p data-testid="ttft">p50 {seconds(s.timeToFirstToken.p50Seconds)} · p95 {seconds(s.timeToFirstToken.p95Seconds)}</p><p class="muted">{s.timeToFirstToken.samples} queries in the window below</p></div>
          </div>
          <InstancesTable status={s} />
          <div class="card">
            <h2>Requests and errors per plugin on this instance</h2>
            <p class="muted">Since <time dateTime={s.window.since}>{new Date(s.window.since).toLocaleTimeString()}</time>: the last hour, give or take a minute, or since this instance started; time to first token covers the same window</p>
            <BarChart rows={s.plugins} />
            <div class="table-wrap">
              <table>
                <caption>Calls per plugin</caption>
                <thead><tr><th scope="col">Plugin</th><th scope="col">Requests</th><th scope="col">Errors</th></tr></thead>
                <tbody>{s.plugins.map((p) => <tr key={p.plugin} data-plugin={p.plugin}><td>{p.plugin}</td><td>{p.requests}</td><td>{p.errors}</td></tr>)}</tbody>
              </table>
            </div>
          </div>
        </>
      ) : null}
    </section>
  );
}

/** Horizontal bars, requests and errors per plugin, with labelled axes (an SVG drawn here: no chart library needed for this). */
function BarChart({ rows }: { rows: Status['plugins'] }) {
  const width = 640;
  const left = 150;
  const bar = 12;
  const rowH = 34;
  const top = 10;
  const plotW = width - left - 20;
  const height = top + rows.length * rowH + 50;
  const max = Math.max(1, ...rows.map((r) => r.requests));
  const ticks = [0, Math.ceil(max / 2), max].filter((t, i, a) => a.indexOf(t) === i);
  const x = (v: number) => left + (v / max) * plotW;
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Requests and errors per plugin">
      <title>Requests and errors per plugin</title>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={top} y2={top + rows.length * rowH} class="grid" />
          <text x={x(t)} y={top + rows.length * rowH + 16} text-anchor="middle" class="tick">{t}</text>
        </g>
      ))}
      {rows.map((r, i) => (
        <g key={r.plugin}>
          <text x={left - 8} y={top + i * rowH + bar + 4} text-anchor="end" class="tick">{r.plugin}</text>
          <rect x={left} y={top + i * rowH + 2} width={x(r.requests) - left} height={bar} class="bar-requests" />
          <rect x={left} y={top + i * rowH + 2 + bar + 2} width={x(r.errors) - left} height={bar} class="bar-errors" />
        </g>
      ))}
      <text x={left + plotW / 2} y={height - 8} text-anchor="middle" class="axis">Calls (count): requests (blue), errors (red)</text>
      <text x={12} y={top + (rows.length * rowH) / 2} class="axis" transform={`rotate(-90 12 ${top + (rows.length * rowH) / 2})`} text-anchor="middle">Plugin</text>
    </svg>
  );
}
