import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { CallResult } from '../calls/call';

/** Where cached answers live: in memory on one instance, or in Redis for all. */
export interface CacheStore {
  get(key: string): Promise<CallResult | undefined>;
  set(key: string, value: CallResult, ttlMs: number): Promise<void>;
}

/** An LRU in this process, each entry expiring after its TTL. */
export class MemoryCacheStore implements CacheStore {
  private readonly entries: LRUCache<string, CallResult>;
  constructor(maxEntries: number) {
    this.entries = new LRUCache({ max: maxEntries });
  }
  async get(key: string): Promise<CallResult | undefined> {
    return this.entries.get(key);
  }
  async set(key: string, value: CallResult, ttlMs: number): Promise<void> {
    this.entries.set(key, value, { ttl: ttlMs });
  }
}

/** Redis, shared by replicas; entries expire with PX. */
export class RedisCacheStore implements CacheStore {
  constructor(private readonly redis: Redis) {}
  async get(key: string): Promise<CallResult | undefined> {
    const raw = await this.redis.get(`ccp:cache:${key}`);
    return raw ? (JSON.parse(raw) as CallResult) : undefined;
  }
  async set(key: string, value: CallResult, ttlMs: number): Promise<void> {
    await this.redis.set(`ccp:cache:${key}`, JSON.stringify(value), 'PX', ttlMs);
  }
}

