import { z } from 'zod';
import { mayUse } from '../../auth/caller';
import { PUBLISH_EVERY_MS, PUBLISHED_TTL_MS } from '../../instances/instance-publisher';
import type { InstanceStatus, InstancesSource, ListedInstance } from '../../instances/instance-status';
import type { HourWindow } from '../../metrics/hour-window';
import { admissionSummary, breakerSummary, instanceSummary, poolSummary } from '../../state/instances';
import { route, type Route } from '../api/route';

const instanceEntry = instanceSummary
  .extend({
    serving: z.boolean().meta({ description: 'The instance that answered this request' }),
    ageSeconds: z.number().int().meta({ description: 'Seconds since it last published its summary (0 for the serving instance, read now)' }),
  })
  .meta({ id: 'StatusInstance' });

/** `GET /v1/status`. */
export const statusSchema = z
  .object({
    instanceId: z.string().meta({ description: 'This instance: host name, process id and 4 random hex digits (unique across processes that share a host name)' }),
    version: z.string(),
    uptimeSeconds: z.number(),
    breaker: breakerSummary,
    admission: admissionSummary,
    pool: poolSummary,
    instances: z.array(instanceEntry).meta({
      description: `Every live instance: the serving one first, then the others by id. Each publishes its summary every ${PUBLISH_EVERY_MS / 1000} s to the shared state (Redis), living ${PUBLISHED_TTL_MS / 1000} s: a drained instance leaves the list at once, a killed one within ${PUBLISHED_TTL_MS / 1000} s`,
    }),
    instancesSource: z.enum(['shared', 'local', 'unknown']).meta({
      description: '`shared`: `instances` lists every instance from the shared state (Redis). `local`: there is no shared state (no REDIS_URL), so this instance only. `unknown`: the shared state did not answer, so this instance only, and others may be running',
    }),
    window: z.object({
      since: z.string().meta({ description: 'Start of the window `plugins` and `timeToFirstToken` cover: the newest of the snapshots taken each minute that is at least an hour old (so the window is 60 to 61 minutes long), or when the instance started, in its first hour' }),
    }),
    plugins: z.array(z.object({ plugin: z.string(), requests: z.number().int(), errors: z.number().int() })).meta({ description: 'Queries per plugin the key may use within the window, and how many failed' }),
    timeToFirstToken: z.object({
      p50Seconds: z.number().nullable(),
      p95Seconds: z.number().nullable(),
      samples: z.number().int(),
    }).meta({ description: 'Within the window (`window.since` to now, as `plugins`): the ccp_claude_time_to_first_token_seconds histogram now less its snapshot at `window.since`, interpolated within buckets as PromQL histogram_quantile does' }),
  })
  .meta({ id: 'Status' });

/** `GET /v1/me`. */
export const meSchema = z.object({ name: z.string(), roles: z.array(z.string()), plugins: z.array(z.string()) }).meta({ id: 'Me' });

/** The quantile `q` of a cumulative histogram's buckets (`le` upper bounds), interpolated linearly within a bucket. */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** What `GET /v1/status` reads. */
export interface StatusSources {
  readonly instances: InstanceStatus;
  readonly window: HourWindow;
  readonly now?: () => number;
}

/**
 * `GET /v1/status`: this instance at a glance for the console's status view, read from the
 * same metrics `/metrics` exports (not a second metrics path: a JSON summary of a few of
 * them), and the summaries every other live instance published. `GET /v1/me`: the calling
 * key's name, roles and plugins, so a client can show only what the key may use. Both for any
 * valid key; the per-plugin counts only for the plugins the key may use.
 */
export function statusRoutes({ instances, window, now = Date.now }: StatusSources): Route[] {
  return [
    route({
      method: 'get',
      path: '/v1/status',
      operationId: 'getStatus',
      summary: 'Every instance at a glance (breaker, admission, pool); for this one, calls per plugin and time to first token over the last hour',
      tags: ['operations'],
      servedWhileSharedStateDown: true,
      responses: { 200: { description: 'The status', json: statusSchema } },
      handlers: [
        async (req, res) => {
          const self = await instances.summary();
          const counts = await window.counts();
          let others: ListedInstance[] = [];
          let instancesSource: InstancesSource = instances.shared ? 'shared' : 'local';
          try {
            others = await instances.others();
          } catch {
            // Where a call needs the shared state it fails closed with the typed 503
            // (state/unavailable.ts). The status is what on-call opens during an outage, and
            // all of it but the other instances is this process's own: it answers 200 with
            // this instance and says the rest is unknown (and its per-key rate limit lets it
            // pass, `servedWhileSharedStateDown`). Not logged: readiness reports Redis, and
            // the console asks every second.
            instancesSource = 'unknown';
          }
          const plugins = [...counts.plugins.entries()]
            .filter(([plugin]) => mayUse(req.caller, plugin))
            .map(([plugin, c]) => ({ plugin, ...c }))
            .sort((a, b) => a.plugin.localeCompare(b.plugin));
          const buckets = [...counts.timeToFirstToken.entries()].map(([le, count]) => ({ le, count }));
          const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
          res.json({
            instanceId: self.instanceId,
            version: self.version,
            uptimeSeconds: Math.round((now() - Date.parse(self.startedAt)) / 1000),
            breaker: self.breaker,
            admission: self.admission,
            pool: self.pool,
            instances: [{ ...self, serving: true, ageSeconds: 0 }, ...others],
            instancesSource,
            window: { since: new Date(counts.since).toISOString() },
            plugins,
            timeToFirstToken: { p50Seconds: round(histogramQuantile(0.5, buckets)), p95Seconds: round(histogramQuantile(0.95, buckets)), samples: counts.timeToFirstToken.get(Infinity) ?? 0 },
          });
        },
      ],
    }),
    route({
      method: 'get',
      path: '/v1/me',
      operationId: 'getMe',
      summary: 'The calling API key: its name, roles and the plugins it may use',
      tags: ['plugins'],
      responses: { 200: { description: 'The key (never its secret)', json: meSchema } },
      handlers: [(req, res) => void res.json({ name: req.caller.name, roles: [...req.caller.roles], plugins: [...req.caller.plugins] })],
    }),
  ];
}
