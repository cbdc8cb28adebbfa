import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { BoundedSemaphore } from '../../../limits/bounded-semaphore';
import type { Metrics } from '../../../metrics/metrics';

/**
 * Starting a `claude` process is CPU-bound (about 1.8 CPU-seconds), so only `limit` start at
 * once (one per core by default); the rest wait their turn. A start lasts from the spawn to
 * the process's first message (its init), after which it mostly waits on the model.
 */
export class StartGate {
  private readonly slots: BoundedSemaphore;

  constructor(
    readonly limit: number,
    private readonly metrics?: Metrics,
  ) {
    this.slots = new BoundedSemaphore(limit, Number.MAX_SAFE_INTEGER);
  }

  private observe(): void {
    this.metrics?.processesStarting.set({ state: 'starting' }, this.slots.running);
    this.metrics?.processesStarting.set({ state: 'waiting' }, this.slots.queued);
  }

  /** Waits for a start slot; the returned function frees it (idempotent). */
  async enter(signal?: AbortSignal): Promise<() => void> {
    const wait = this.slots.acquire(signal);
    this.observe();
    const release = await wait;
    this.observe();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
      this.observe();
    };
  }

  /** Passes `messages` through, freeing the slot at the first message (or when they end first). */
  static until<T extends SDKMessage>(messages: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        const inner = messages[Symbol.asyncIterator]();
        return {
          next: async (...args: []) => {
            try {
              const r = await inner.next(...args);
              release();
              return r;
            } catch (err) {
              release();
              throw err;
            }
          },
          return: async (value?: unknown) => {
            release();
            return inner.return ? inner.return(value as never) : { done: true as const, value: value as never };
          },
          throw: async (err?: unknown) => {
            release();
            if (inner.throw) return inner.throw(err);
            throw err;
          },
        };
      },
    };
  }
}
