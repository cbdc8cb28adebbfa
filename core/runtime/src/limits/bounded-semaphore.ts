/** Thrown by {@link BoundedSemaphore.acquire} when the queue is full. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

/** Thrown by {@link BoundedSemaphore.acquire} when a waiter's time in the queue runs out. */
export class QueueTimeoutError extends Error {
  override readonly name = 'QueueTimeoutError';
}

/**
 * A counting semaphore with a bounded FIFO queue: at most `limit` holders at once and at
 * most `queueSize` waiters; one more is refused at once, never left to hang.
 */
export class BoundedSemaphore {
  private active = 0;
  private readonly waiting: { grant: () => void; cancel: (err: unknown) => void }[] = [];

  /** Called on every release (the admission limit measures its drain rate with it). */
  onRelease: (() => void) | undefined;

  constructor(
    readonly limit: number,
    readonly queueSize: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Waits for a slot (or throws {@link QueueFullError}, or {@link QueueTimeoutError} after
   * `maxWaitMs` in the queue); the returned function frees it.
   */
  async acquire(signal?: AbortSignal, maxWaitMs?: number): Promise<() => void> {
    if (this.active < this.limit && this.waiting.length === 0) {
      this.active++;
      return this.releaser();
    }
    if (this.waiting.length >= this.queueSize) throw new QueueFullError(`${this.active} running and ${this.waiting.length} queued`);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (err: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(err);
      };
      const entry = {
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve(this.releaser());
        },
        cancel: reject,
      };
      const onAbort = () => leave(signal?.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (maxWaitMs !== undefined) timer = setTimeout(() => leave(new QueueTimeoutError(`waited ${maxWaitMs} ms in the queue`)), maxWaitMs);
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.onRelease?.();
      this.waiting.shift()?.grant();
    };
  }
}
