import { availableParallelism, freemem } from 'node:os';
import type { PlatformConfig } from '../config/schema';
import { ClaudeError } from '../engine/types';
import type { Metrics } from '../metrics/metrics';
import { BoundedSemaphore, QueueFullError } from './bounded-semaphore';
import type { Hold, Limit, LimitSubject } from './limit';

/** Memory one running query needs: the `claude` process (~170 MB idle) plus headroom. */
export const MEMORY_PER_QUERY = 256 * 1024 * 1024;

/** The default cap: two queries per CPU (they are CPU-bound while starting), as memory allows. */
export function derivedConcurrency(cpus = availableParallelism(), free = freemem()): number {
  return Math.max(1, Math.min(cpus * 2, Math.floor(free / MEMORY_PER_QUERY)));
}

/**
 * Admission control for this instance: a global and a per-plugin cap on running queries,
 * each with a bounded queue. When the queue is full the call fails at once with
 * `at_capacity` (503 + Retry-After); a caller that goes away while queued leaves the queue.
 */
export class AdmissionLimit implements Limit {
  readonly name = 'admission';
  readonly global: BoundedSemaphore;
  private readonly plugins: Map<string, BoundedSemaphore>;

  constructor(
    private readonly settings: PlatformConfig['admission'],
    private readonly metrics: Metrics,
  ) {
    this.global = new BoundedSemaphore(settings.maxConcurrent ?? derivedConcurrency(), settings.queueSize);
    this.plugins = new Map(Object.entries(settings.plugins).map(([id, cap]) => [id, new BoundedSemaphore(cap, settings.queueSize)]));
    metrics.admissionLimit.set(this.global.limit);
  }

  private observe(): void {
    this.metrics.admissionRunning.set(this.global.running);
    this.metrics.admissionQueued.set(this.global.queued);
  }

  async take({ plugin }: LimitSubject, signal?: AbortSignal): Promise<Hold> {
    const started = performance.now();
    const releases: (() => void)[] = [];
    try {
      const own = this.plugins.get(plugin);
      if (own) releases.push(await own.acquire(signal));
      const wait = this.global.acquire(signal);
      this.observe();
      releases.push(await wait);
    } catch (err) {
      releases.forEach((r) => r());
      this.observe();
      if (err instanceof QueueFullError) {
        this.metrics.admissionRejected.inc({ plugin });
        throw new ClaudeError('at_capacity', `at capacity: ${err.message}`, undefined, this.settings.retryAfterSeconds);
      }
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
