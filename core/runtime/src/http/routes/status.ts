import { hostname } from 'node:os';
import { z } from 'zod';
import { mayUse } from '../../auth/caller';
import type { BreakerEngine } from '../../engine/decorators/breaker';
import type { Metrics } from '../../metrics/metrics';
import { route, type Route } from '../api/route';

/** `GET /v1/status`. */
export const statusSchema = z
  .object({
    instanceId: z.string().meta({ description: 'This instance: host name and process id' }),
    version: z.string(),
    uptimeSeconds: z.number(),
    breaker: z.object({ state: z.enum(['closed', 'half_open', 'open', 'disabled']), retryAfterSeconds: z.number().int() }),
    admission: z.object({
      running: z.number().int(),
      queued: z.number().int(),
      limits: z.object({ inFlight: z.number().int(), starting: z.number().int(), poolProcesses: z.number().int() }),
    }),
    pool: z.object({ warming: z.number().int(), spare: z.number().int(), idle: z.number().int(), busy: z.number().int() }),
    window: z.object({ since: z.string().meta({ description: 'Start of the window the per-plugin counts cover: about an hour ago, or when the instance started' }) }),
    plugins: z.array(z.object({ plugin: z.string(), requests: z.number().int(), errors: z.number().int() })).meta({ description: 'Queries per plugin the key may use within the window, and how many failed' }),
    timeToFirstToken: z.object({
      p50Seconds: z.number().nullable(),
      p95Seconds: z.number().nullable(),
      samples: z.number().int(),
    }).meta({ description: 'From the ccp_claude_time_to_first_token_seconds histogram since the instance started (interpolated within buckets, as PromQL histogram_quantile does)' }),
  })
  .meta({ id: 'Status' });

/** `GET /v1/me`. */
export const meSchema = z.object({ name: z.string(), roles: z.array(z.string()), plugins: z.array(z.string()) }).meta({ id: 'Me' });

type Counts = Map<string, { requests: number; errors: number }>;

const HOUR_MS = 3_600_000;
const SNAPSHOT_EVERY_MS = 60_000;

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

/**
 * `GET /v1/status`: this instance at a glance for the console's status view, read from the
 * same metrics `/metrics` exports (not a second metrics path: a JSON summary of a few of
 * them). `GET /v1/me`: the calling key's name, roles and plugins, so a client can show only
 * what the key may use. Both for any valid key; the per-plugin counts only for the plugins
 * the key may use.
 */
export function statusRoutes(metrics: Metrics, breaker: BreakerEngine | undefined, version: string, now: () => number = Date.now): Route[] {
  const instanceId = `${hostname()}:${process.pid}`;
  const startedAt = now();
  /** Cumulative counts, one snapshot a minute at most (taken when asked), so a window of about an hour can be subtracted. */
  const snapshots: { at: number; counts: Counts }[] = [{ at: startedAt, counts: new Map() }];

  const counts = async (): Promise<Counts> => {
    const out: Counts = new Map();
    for (const v of (await metrics.queries.get()).values) {
      const plugin = String(v.labels.plugin);
      const c = out.get(plugin) ?? { requests: 0, errors: 0 };
      c.requests += v.value;
      if (v.labels.outcome !== 'success') c.errors += v.value;
      out.set(plugin, c);
    }
    return out;
  };
  const gauge = async (g: { get(): Promise<{ values: { value: number; labels: Partial<Record<string, string | number>> }[] }> }, label?: [string, string]) =>
    (await g.get()).values.filter((v) => !label || v.labels[label[0]] === label[1]).reduce((sum, v) => sum + v.value, 0);

  return [
    route({
      method: 'get',
      path: '/v1/status',
      operationId: 'getStatus',
      summary: "This instance at a glance: breaker, admission, pool, calls per plugin over the last hour, time to first token",
      tags: ['operations'],
      responses: { 200: { description: 'The status', json: statusSchema } },
      handlers: [
        async (req, res) => {
          const t = now();
          const current = await counts();
          if (t - (snapshots.at(-1)?.at ?? 0) >= SNAPSHOT_EVERY_MS) snapshots.push({ at: t, counts: current });
          // The newest snapshot at least an hour old is the baseline; older ones are no longer needed.
          let base = 0;
          for (let i = 0; i < snapshots.length; i++) if ((snapshots[i]?.at ?? 0) <= t - HOUR_MS) base = i;
          snapshots.splice(0, base);
          const baseline = snapshots[0] ?? { at: startedAt, counts: new Map() };
          const plugins = [...current.entries()]
            .filter(([plugin]) => mayUse(req.caller, plugin))
            .map(([plugin, c]) => ({ plugin, requests: c.requests - (baseline.counts.get(plugin)?.requests ?? 0), errors: c.errors - (baseline.counts.get(plugin)?.errors ?? 0) }))
            .sort((a, b) => a.plugin.localeCompare(b.plugin));
          const buckets = new Map<number, number>();
          for (const v of (await metrics.timeToFirstToken.get()).values) {
            if (!v.metricName?.endsWith('_bucket')) continue;
            const bound = (v.labels as Partial<Record<string, string | number>>).le;
            const le = bound === '+Inf' ? Infinity : Number(bound);
            buckets.set(le, (buckets.get(le) ?? 0) + v.value);
          }
          const list = [...buckets.entries()].map(([le, count]) => ({ le, count }));
          const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
          res.json({
            instanceId,
            version,
            uptimeSeconds: Math.round((t - startedAt) / 1000),
            breaker: breaker ? { state: breaker.state, retryAfterSeconds: breaker.state === 'closed' ? 0 : breaker.retryAfterSeconds() } : { state: 'disabled', retryAfterSeconds: 0 },
            admission: {
              running: await gauge(metrics.admissionRunning),
              queued: await gauge(metrics.admissionQueued),
              limits: { inFlight: await gauge(metrics.admissionLimit, ['kind', 'in_flight']), starting: await gauge(metrics.admissionLimit, ['kind', 'starting']), poolProcesses: await gauge(metrics.admissionLimit, ['kind', 'pool_processes']) },
            },
            pool: {
              warming: await gauge(metrics.poolProcesses, ['state', 'warming']),
              spare: await gauge(metrics.poolProcesses, ['state', 'spare']),
              idle: await gauge(metrics.poolProcesses, ['state', 'idle']),
              busy: await gauge(metrics.poolProcesses, ['state', 'busy']),
            },
            window: { since: new Date(baseline.at).toISOString() },
            plugins,
            timeToFirstToken: { p50Seconds: round(histogramQuantile(0.5, list)), p95Seconds: round(histogramQuantile(0.95, list)), samples: list.find((b) => !Number.isFinite(b.le))?.count ?? 0 },
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
