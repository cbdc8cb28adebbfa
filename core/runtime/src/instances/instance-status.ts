import type { BreakerEngine } from '../engine/decorators/breaker';
import type { Metrics } from '../metrics/metrics';
import type { InstanceRegistry, InstanceSummary } from '../state/instances';

type GaugeLike = { get(): Promise<{ values: { value: number; labels: Partial<Record<string, string | number>> }[] }> };

/** The sum of a gauge's values, of those with `label` when given. */
const gauge = async (g: GaugeLike, label?: [string, string]) => (await g.get()).values.filter((v) => !label || v.labels[label[0]] === label[1]).reduce((sum, v) => sum + v.value, 0);

/**
 * How long the status waits for the list: a Redis that answers does so in milliseconds; one
 * that accepts but does not answer (frozen, swapping) would hold the status for the command
 * timeout, after the rate limit has already waited that long for it.
 */
export const LIST_TIMEOUT_MS = 500;

/** One instance as the status lists it. */
export type ListedInstance = InstanceSummary & { readonly serving: boolean; readonly ageSeconds: number };

/**
 * Where the list of instances comes from: `shared`, the shared store (Redis) answered;
 * `local`, there is none (no REDIS_URL), so this instance only; `unknown`, it did not answer,
 * so this instance only, and others may be running.
 */
export type InstancesSource = 'shared' | 'local' | 'unknown';

/** What {@link InstanceStatus} reads. */
export interface InstanceStatusDeps {
  readonly instanceId: string;
  readonly version: string;
  /** When this runtime started (epoch ms). */
  readonly startedAt: number;
  readonly metrics: Metrics;
  readonly breaker?: BreakerEngine;
  readonly lifecycle: { readonly draining: boolean };
  readonly registry: InstanceRegistry;
  /** Whether the registry is shared by replicas (Redis) or this process's own. */
  readonly shared: boolean;
  readonly now?: () => number;
}

/** This instance's summary, read from the same metrics `/metrics` exports, and the list of every live instance. */
export class InstanceStatus {
  private readonly now: () => number;

  constructor(private readonly deps: InstanceStatusDeps) {
    this.now = deps.now ?? Date.now;
  }

  get instanceId(): string {
    return this.deps.instanceId;
  }

  /** This instance now. */
  async summary(): Promise<InstanceSummary> {
    const { metrics, breaker } = this.deps;
    return {
      instanceId: this.deps.instanceId,
      version: this.deps.version,
      startedAt: new Date(this.deps.startedAt).toISOString(),
      draining: this.deps.lifecycle.draining,
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
      publishedAt: new Date(this.now()).toISOString(),
    };
  }

  /** Whether the list comes from a store replicas share. */
  get shared(): boolean {
    return this.deps.shared;
  }

  /**
   * Every other live instance, by id, each with the seconds since it last published; throws
   * what the registry throws, or when it has not answered within {@link LIST_TIMEOUT_MS}.
   */
  async others(): Promise<ListedInstance[]> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the instance list took over ${LIST_TIMEOUT_MS} ms`)), LIST_TIMEOUT_MS)));
    const records = await Promise.race([this.deps.registry.list(), late]).finally(() => clearTimeout(timer));
    const t = this.now();
    return records
      .filter((r) => r.instanceId !== this.deps.instanceId)
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId))
      // Another host's clock may run ahead of ours: an age is never negative.
      .map((r) => ({ ...r, serving: false, ageSeconds: Math.max(0, Math.round((t - Date.parse(r.publishedAt)) / 1000)) }));
  }
}
