import type { Status } from '../api-types';

type Instance = Status['instances'][number];

/** Words for a breaker state, so the colour is never the only sign. */
const BREAKER_LABEL: Record<Instance['breaker']['state'], string> = { closed: 'closed', half_open: 'half-open', open: 'open', disabled: 'disabled' };

/** Where the list comes from, in words (a Redis outage hides the other instances, it does not stop the view). */
const SOURCE_TEXT: Record<Status['instancesSource'], string> = {
  shared: 'Every live instance, from the shared state (Redis): each publishes its summary every few seconds; a stopped one leaves the list at once, a lost one when its summary expires.',
  local: 'No shared state (REDIS_URL is not set): this instance only.',
  unknown: 'The shared state (Redis) does not answer: other instances are unknown, only this one is shown.',
};

function breaker(b: Instance['breaker']) {
  const wait = b.state === 'open' || b.state === 'half_open' ? `, trial in ${b.retryAfterSeconds} s` : '';
  return <span class={`badge breaker-${b.state}`}>{BREAKER_LABEL[b.state]}{wait}</span>;
}

/** The instances table: id (serving and draining marked in words), breaker, admission, pool, last seen. */
export function InstancesTable({ status }: { status: Status }) {
  return (
    <div class="card">
      <h2>Instances</h2>
      <p class={status.instancesSource === 'unknown' ? 'error' : 'muted'} data-testid="instances-source">{SOURCE_TEXT[status.instancesSource]}</p>
      <div class="table-wrap">
        <table data-testid="instances">
          <caption>Instances: {status.instances.length} listed</caption>
          <thead><tr><th scope="col">Instance</th><th scope="col">Breaker</th><th scope="col">Admission</th><th scope="col">Pool processes</th><th scope="col">Last seen</th></tr></thead>
          <tbody>
            {status.instances.map((i) => (
              <tr key={i.instanceId} data-instance={i.instanceId}>
                <th scope="row">
                  <code>{i.instanceId}</code> {i.serving ? <span class="badge ok">serving this page</span> : null} {i.draining ? <span class="badge draining">draining</span> : null}
                  <br /><span class="muted">v{i.version}, started <time dateTime={i.startedAt}>{new Date(i.startedAt).toLocaleTimeString()}</time></span>
                </th>
                <td>{breaker(i.breaker)}</td>
                <td>{i.admission.running} running / {i.admission.limits.inFlight} · {i.admission.queued} queued</td>
                <td>{i.pool.warming} warming · {i.pool.spare} spare · {i.pool.idle} idle · {i.pool.busy} busy</td>
                <td>{i.serving ? 'now' : <time dateTime={i.publishedAt}>{i.ageSeconds} s ago</time>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
