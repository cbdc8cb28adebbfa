import type { Redis } from 'ioredis';

/**
 * Numeric counters with expiry, shared by replicas through Redis or kept in memory:
 * the one primitive behind per-key concurrency caps and spending budgets.
 */
export interface Counters {
  /**
   * Adds `amount` to every key at once, only if no key would pass its limit; returns
   * the index of the first key that would, or -1 when all were incremented.
   */
  addWithin(entries: readonly { key: string; limit: number; ttlMs: number }[], amount: number): Promise<number>;
  /** Adds `amount` (which may be negative) to every key. */
  add(keys: readonly string[], amount: number): Promise<void>;
  get(key: string): Promise<number>;
}

/** Counters in this process only. */
export class MemoryCounters implements Counters {
  private readonly values = new Map<string, { value: number; expires: number }>();

  private read(key: string): number {
    const entry = this.values.get(key);
    if (!entry) return 0;
    if (entry.expires <= Date.now()) {
      this.values.delete(key);
      return 0;
    }
    return entry.value;
  }

  async addWithin(entries: readonly { key: string; limit: number; ttlMs: number }[], amount: number): Promise<number> {
    const over = entries.findIndex((e) => this.read(e.key) + amount > e.limit + 1e-9);
    if (over >= 0) return over;
    for (const e of entries) {
      const current = this.values.get(e.key);
      this.values.set(e.key, { value: this.read(e.key) + amount, expires: current && current.expires > Date.now() ? current.expires : Date.now() + e.ttlMs });
    }
    return -1;
  }

  async add(keys: readonly string[], amount: number): Promise<void> {
    for (const key of keys) {
      const current = this.values.get(key);
      if (current) current.value = this.read(key) + amount;
    }
  }

  async get(key: string): Promise<number> {
    return this.read(key);
  }
}

// Checks every key against its limit, then increments all of them: atomic in Redis, so
// concurrent reservations on several replicas can never together pass a limit.
const ADD_WITHIN = `
local amount = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local current = tonumber(redis.call('get', key) or '0')
  if current + amount > tonumber(ARGV[i * 2]) + 1e-9 then return i - 1 end
end
for i, key in ipairs(KEYS) do
  redis.call('incrbyfloat', key, ARGV[1])
  if redis.call('pttl', key) < 0 then redis.call('pexpire', key, ARGV[i * 2 + 1]) end
end
return -1`;

/** Counters in Redis, shared by every replica. */
export class RedisCounters implements Counters {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'ccp:counter:',
  ) {}

  async addWithin(entries: readonly { key: string; limit: number; ttlMs: number }[], amount: number): Promise<number> {
    if (entries.length === 0) return -1;
    const args = [String(amount), ...entries.flatMap((e) => [String(e.limit), String(e.ttlMs)])];
    const result = await this.redis.eval(ADD_WITHIN, entries.length, ...entries.map((e) => this.prefix + e.key), ...args);
    return Number(result);
  }

  async add(keys: readonly string[], amount: number): Promise<void> {
    if (keys.length === 0 || amount === 0) return;
    const multi = this.redis.multi();
    for (const key of keys) multi.incrbyfloat(this.prefix + key, amount);
    await multi.exec();
  }

  async get(key: string): Promise<number> {
    return Number((await this.redis.get(this.prefix + key)) ?? 0);
  }
}
