import type { Metrics } from './metrics';

/** Calls per plugin: how many, and how many failed. */
export type PluginCounts = Map<string, { requests: number; errors: number }>;

/** What the window covers, cumulative since the metrics began: calls per plugin and the time-to-first-token histogram (upper bound → count). */
export interface WindowCounts {
  readonly plugins: PluginCounts;
  readonly timeToFirstToken: Map<number, number>;
}

/** How far back the window reaches, and how often a snapshot is taken. */
export const WINDOW_MS = 3_600_000;
export const SNAPSHOT_EVERY_MS = 60_000;

/** The cumulative counts of `metrics` now. */
export async function windowCounts(metrics: Metrics): Promise<WindowCounts> {
  const plugins: PluginCounts = new Map();
  for (const v of (await metrics.queries.get()).values) {
    const plugin = String(v.labels.plugin);
    const c = plugins.get(plugin) ?? { requests: 0, errors: 0 };
    c.requests += v.value;
    if (v.labels.outcome !== 'success') c.errors += v.value;
    plugins.set(plugin, c);
  }
  const timeToFirstToken = new Map<number, number>();
  for (const v of (await metrics.timeToFirstToken.get()).values) {
    if (!v.metricName?.endsWith('_bucket')) continue;
    const bound = (v.labels as Partial<Record<string, string | number>>).le;
    const le = bound === '+Inf' ? Infinity : Number(bound);
    timeToFirstToken.set(le, (timeToFirstToken.get(le) ?? 0) + v.value);
  }
  return { plugins, timeToFirstToken };
}

/**
 * The counts of about the last hour, from cumulative snapshots: what the metrics hold now less
 * the newest snapshot at least an hour old. With a snapshot each minute ({@link sample}, on a
 * timer) the window is 60 to 61 minutes long; in the first hour it reaches back to the first
 * snapshot (taken when the runtime started). A Prometheus counter or histogram cannot be
 * windowed without its series: this keeps the few numbers the status view needs.
 */
export class HourWindow {
  private readonly snapshots: { at: number; counts: WindowCounts }[] = [];

  constructor(
    private readonly read: () => Promise<WindowCounts>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a snapshot, and drops those older than the newest one at least an hour old. */
  async sample(): Promise<void> {
    const at = this.now();
    this.snapshots.push({ at, counts: await this.read() });
    let base = 0;
    for (let i = 0; i < this.snapshots.length; i++) if ((this.snapshots[i]?.at ?? Infinity) <= at - WINDOW_MS) base = i;
    this.snapshots.splice(0, base);
  }

  /** Samples now, then every `everyMs` until the returned function is called. */
  async start(everyMs = SNAPSHOT_EVERY_MS): Promise<() => void> {
    await this.sample();
    const timer = setInterval(() => void this.sample().catch(() => undefined), everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** What came since the window's start (`since`, epoch ms). */
  async counts(): Promise<{ since: number } & WindowCounts> {
    const t = this.now();
    const current = await this.read();
    const baseline = [...this.snapshots].reverse().find((s) => s.at <= t - WINDOW_MS) ?? this.snapshots[0];
    if (!baseline) return { since: t, plugins: new Map(), timeToFirstToken: new Map([...current.timeToFirstToken.keys()].map((le) => [le, 0])) };
    const before = baseline.counts;
    const plugins: PluginCounts = new Map();
    for (const [plugin, c] of current.plugins) {
      const b = before.plugins.get(plugin);
      plugins.set(plugin, { requests: c.requests - (b?.requests ?? 0), errors: c.errors - (b?.errors ?? 0) });
    }
    const timeToFirstToken = new Map([...current.timeToFirstToken].map(([le, n]) => [le, n - (before.timeToFirstToken.get(le) ?? 0)]));
    return { since: baseline.at, plugins, timeToFirstToken };
  }
}
