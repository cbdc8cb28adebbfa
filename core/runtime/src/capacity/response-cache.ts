import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { stringify } from 'safe-stable-stringify';
import type { InvocationResult } from '../invoke/invoker';
import type { RegisteredOperation, RegisteredPlugin } from '../plugins/registered-plugin';

/** Where cached answers live: in memory on one instance, or in Redis for all. */
export interface CacheStore {
  get(key: string): Promise<InvocationResult | undefined>;
  set(key: string, value: InvocationResult, ttlMs: number): Promise<void>;
}

/** An LRU in this process, each entry expiring after its TTL. */
export class MemoryCacheStore implements CacheStore {
  private readonly entries: LRUCache<string, InvocationResult>;
  constructor(maxEntries: number) {
    this.entries = new LRUCache({ max: maxEntries });
  }
  async get(key: string): Promise<InvocationResult | undefined> {
    return this.entries.get(key);
  }
  async set(key: string, value: InvocationResult, ttlMs: number): Promise<void> {
    this.entries.set(key, value, { ttl: ttlMs });
  }
}

/** Redis, shared by replicas; entries expire with PX. */
export class RedisCacheStore implements CacheStore {
  constructor(private readonly redis: Redis) {}
  async get(key: string): Promise<InvocationResult | undefined> {
    const raw = await this.redis.get(`ccp:cache:${key}`);
    return raw ? (JSON.parse(raw) as InvocationResult) : undefined;
  }
  async set(key: string, value: InvocationResult, ttlMs: number): Promise<void> {
    await this.redis.set(`ccp:cache:${key}`, JSON.stringify(value), 'PX', ttlMs);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The cache key of one call: everything that decides the answer. Plugin id and version,
 * operation, the validated input with keys in a stable order, the model, and hashes of the
 * system prompt and the output schema, so a new prompt or schema never serves an old answer.
 */
export function cacheKey(plugin: RegisteredPlugin, operation: RegisteredOperation, input: unknown): string {
  return sha256(`${fixedPart(plugin, operation)}\n${stringify(input) ?? ''}`);
}

const fixedParts = new WeakMap<RegisteredOperation, string>();

/** Everything in the key but the input: computed once per operation, not per request. */
function fixedPart(plugin: RegisteredPlugin, operation: RegisteredOperation): string {
  let part = fixedParts.get(operation);
  if (part === undefined) {
    part =
      stringify({
        plugin: plugin.definition.id,
        version: plugin.definition.version,
        operation: operation.name,
        model: plugin.model ?? null,
        tools: plugin.tools,
        prompt: sha256(plugin.definition.systemPrompt),
        output: sha256(stringify(operation.outputSchema) ?? ''),
      }) ?? '';
    fixedParts.set(operation, part);
  }
  return part;
}
