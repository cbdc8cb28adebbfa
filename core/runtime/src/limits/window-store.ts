import type { ClientRateLimitInfo, Store } from 'express-rate-limit';

/**
 * An in-memory fixed-window counter for express-rate-limit, used instead of its MemoryStore.
 * MemoryStore.increment() resolves to its live, mutable counter: a caller that reads it
 * after an await sees every hit counted since, so a burst of 25 concurrent calls at a limit
 * of 20 all read 25 and all got 429. Here each hit gets its own count, taken when it counts.
 */
export class WindowStore implements Store {
  readonly localKeys = true;
  private readonly windows = new Map<string, { hits: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), windowMs);
    this.sweeper.unref();
  }

  private window(key: string) {
    const at = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= at) {
      w = { hits: 0, resetAt: at + this.windowMs };
      this.windows.set(key, w);
    }
    return w;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const w = this.window(key);
    w.hits += 1;
    return { totalHits: w.hits, resetTime: new Date(w.resetAt) };
  }

  async decrement(key: string): Promise<void> {
    const w = this.windows.get(key);
    if (w && w.hits > 0) w.hits -= 1;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const w = this.windows.get(key);
    return w && w.resetAt > this.now() ? { totalHits: w.hits, resetTime: new Date(w.resetAt) } : undefined;
  }

  async resetKey(key: string): Promise<void> {
    this.windows.delete(key);
  }

  /** Forgets windows that have ended. */
  private sweep(): void {
    const at = this.now();
    for (const [key, w] of this.windows) if (w.resetAt <= at) this.windows.delete(key);
  }

  shutdown(): void {
    clearInterval(this.sweeper);
  }
}
