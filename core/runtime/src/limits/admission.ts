import type { PlatformConfig } from '../config/schema';
import { ClaudeError } from '../engine/types';
import type { Metrics } from '../metrics/metrics';
import { BoundedSemaphore, QueueFullError, QueueTimeoutError } from './bounded-semaphore';
import type { Hold, Limit, LimitSubject } from './limit';

/** How far back the drain rate looks. */
const DRAIN_WINDOW_MS = 60_000;

/**
 * Calls that finished over the last minute: the rate at which a queue drains, from which a
 * refused caller's Retry-After is computed.
 */
export class DrainRate {
  private readonly finished: number[] = [];
  private readonly since = Date.now();

  constructor(private readonly now: () => number = Date.now) {}

  record(): void {
    const t = this.now();
    this.finished.push(t);
    while (this.finished.length > 0 && (this.finished[0] as number) < t - DRAIN_WINDOW_MS) this.finished.shift();
  }

  /** Calls finished per second, or undefined before any has. */
  perSecond(): number | undefined {
    const t = this.now();
    const recent = this.finished.filter((f) => f >= t - DRAIN_WINDOW_MS).length;
    if (recent === 0) return undefined;
    return recent / (Math.max(1_000, Math.min(DRAIN_WINDOW_MS, t - this.since)) / 1000);
  }

  /** Whole seconds until `ahead` more calls have finished at the observed rate; undefined without one. */
  secondsFor(ahead: number): number | undefined {
    const rate = this.perSecond();
    return rate === undefined ? undefined : Math.max(1, Math.ceil(ahead / rate));
  }
}

/**
 * Admission control for this instance: a global cap on calls in flight (derived from memory:
 * a call mostly waits on the model holding one `claude` process) and per-plugin caps. A burst
 * queues; a call is refused with 503 `at_capacity` only when its wait would pass
 * `admission.maxQueueWaitMs` (judged at once from the observed drain rate, and at the latest
 * when the wait runs out), or when the queue hits `queueSize`, which is only a memory guard.
 * Retry-After says when the queue ahead will have drained at the observed rate.
 */
export class AdmissionLimit implements Limit {
  readonly name = 'admission';
  readonly global: BoundedSemaphore;
  private readonly plugins: Map<string, BoundedSemaphore>;
  readonly drain = new DrainRate();

  constructor(
    private readonly settings: PlatformConfig['admission'],
    inFlight: number,
    private readonly metrics: Metrics,
  ) {
    this.global = new BoundedSemaphore(inFlight, settings.queueSize);
    this.global.onRelease = () => this.drain.record();
    this.plugins = new Map(Object.entries(settings.plugins).map(([id, cap]) => [id, new BoundedSemaphore(cap, settings.queueSize)]));
  }

  private observe(): void {
    this.metrics.admissionRunning.set(this.global.running);
    this.metrics.admissionQueued.set(this.global.queued);
  }

  private refusal(plugin: string, why: string): ClaudeError {
    this.metrics.admissionRejected.inc({ plugin });
    const wait = this.drain.secondsFor(this.global.queued + 1) ?? this.settings.retryAfterSeconds;
    return new ClaudeError('at_capacity', `at capacity: ${why}`, undefined, Math.min(wait, 3600));
  }

  async take({ plugin }: LimitSubject, signal?: AbortSignal): Promise<Hold> {
    const started = performance.now();
    const releases: (() => void)[] = [];
    const bound = this.settings.maxQueueWaitMs;
    try {
      if (this.global.running >= this.global.limit) {
        // Judged at once: a wait the observed drain rate says would pass the bound is refused now.
        const projected = this.drain.secondsFor(this.global.queued + 1);
        if (projected !== undefined && projected * 1000 > bound) throw this.refusal(plugin, `${this.global.running} running and ${this.global.queued} queued; the wait would be about ${projected} s (the bound is ${Math.round(bound / 1000)} s)`);
      }
      const own = this.plugins.get(plugin);
      if (own) releases.push(await own.acquire(signal, bound));
      const wait = this.global.acquire(signal, Math.max(1, bound - (performance.now() - started)));
      this.observe();
      releases.push(await wait);
    } catch (err) {
      releases.forEach((r) => r());
      this.observe();
      if (err instanceof ClaudeError) throw err;
      if (err instanceof QueueFullError) throw this.refusal(plugin, err.message);
      if (err instanceof QueueTimeoutError) throw this.refusal(plugin, `${err.message} (admission.maxQueueWaitMs)`);
      throw signal?.reason instanceof ClaudeError ? signal.reason : new ClaudeError('aborted', 'the caller went away while queued');
    }
    this.metrics.admissionWait.observe({ plugin }, (performance.now() - started) / 1000);
    this.observe();
    return {
      release: async () => {
        releases.forEach((r) => r());
        this.observe();
      },
    };
  }
}
