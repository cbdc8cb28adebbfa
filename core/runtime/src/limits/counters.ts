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
  /** Takes one of `max` slots, refreshing the key's safety expiry; false when all are taken. */
  acquireSlot(key: string, max: number, ttlMs: number): Promise<boolean>;
  /** Gives a slot back (never below zero). */
  releaseSlot(key: string): Promise<void>;
  /** Sets each counter that does not exist yet (a counter that does is left as it is): rebuilding from a record at boot. */
  seed(entries: readonly { key: string; value: number; ttlMs: number }[]): Promise<void>;
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

  async acquireSlot(key: string, max: number, ttlMs: number): Promise<boolean> {
    const current = this.read(key);
    if (current + 1 > max) return false;
    this.values.set(key, { value: current + 1, expires: Date.now() + ttlMs });
    return true;
  }

  async seed(entries: readonly { key: string; value: number; ttlMs: number }[]): Promise<void> {
    for (const e of entries) if (this.read(e.key) === 0 && !this.values.has(e.key)) this.values.set(e.key, { value: e.value, expires: Date.now() + e.ttlMs });
  }

  async releaseSlot(key: string): Promise<void> {
    const entry = this.values.get(key);
    if (!entry) return;
    entry.value = Math.max(0, entry.value - 1);
    if (entry.value === 0) this.values.delete(key);
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

// A slot counter: taken only below max, its safety expiry refreshed on every take (so a
// key that is always busy never expires under its running calls), never below zero.
const ACQUIRE_SLOT = `
local n = tonumber(redis.call('get', KEYS[1]) or '0')
if n + 1 > tonumber(ARGV[1]) then return 0 end
redis.call('incr', KEYS[1])
redis.call('pexpire', KEYS[1], ARGV[2])
return 1`;
const RELEASE_SLOT = `
local n = tonumber(redis.call('get', KEYS[1]) or '0')
if n <= 1 then redis.call('del', KEYS[1]) else redis.call('decr', KEYS[1]) end
return 1`;

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

  async acquireSlot(key: string, max: number, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.eval(ACQUIRE_SLOT, 1, this.prefix + key, String(max), String(ttlMs))) === 1;
  }

  async releaseSlot(key: string): Promise<void> {
    await this.redis.eval(RELEASE_SLOT, 1, this.prefix + key);
  }

  async seed(entries: readonly { key: string; value: number; ttlMs: number }[]): Promise<void> {
    if (entries.length === 0) return;
    const multi = this.redis.multi();
    for (const e of entries) multi.set(this.prefix + e.key, String(e.value), 'PX', e.ttlMs, 'NX');
    await multi.exec();
  }
}
