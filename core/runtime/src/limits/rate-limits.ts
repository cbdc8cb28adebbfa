import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Options, type Store } from 'express-rate-limit';
import { RateLimitedError } from '@ccp/plugin-api';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Caller } from '../auth/caller';
import type { PlatformConfig } from '../config/schema';
import { failClosed } from '../state/unavailable';
import { NOTHING_HELD, type Hold, type Limit, type LimitSubject } from './limit';
import { secondsUntil } from './retry-after';
import { WindowStore } from './window-store';

function makeStore(redis: Redis | undefined, prefix: string, windowMs: number): Store {
  return redis ? redisStore(redis, prefix, windowMs) : new WindowStore(windowMs);
}

/**
 * A Redis-backed store that loads its Lua scripts on first use, and again after a load that
 * failed. RedisStore.init() loads them once and keeps the outcome: started unawaited while
 * Redis is down, its rejection was unhandled (which ends the process), and every later
 * count failed on the kept rejection even once Redis answered again.
 */
function redisStore(redis: Redis, prefix: string, windowMs: number): Store {
  const store = new RedisStore({
    prefix: `ccp:rl:${prefix}:`,
    sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
  });
  let loaded: Promise<void> | undefined;
  const ready = () =>
    (loaded ??= store.init({ windowMs } as Options).catch((err: unknown) => {
      loaded = undefined;
      throw err;
    }));
  return {
    prefix: store.prefix,
    localKeys: false,
    increment: async (key) => {
      await ready();
      return store.increment(key);
    },
    decrement: async (key) => {
      await ready();
      return store.decrement(key);
    },
    resetKey: async (key) => {
      await ready();
      return store.resetKey(key);
    },
    get: async (key) => {
      await ready();
      return store.get(key);
    },
  };
}

/** A caller's bucket: the API key's name, or (auth off) the client address. */
function bucket(caller: Caller, ip: string | undefined): string {
  // ipKeyGenerator groups an IPv6 client's /56, so it cannot hop addresses to escape its bucket.
  return caller.name === 'anonymous' ? `ip:${ipKeyGenerator(ip ?? '0.0.0.0')}` : `key:${caller.name}`;
}

const who = (caller: Caller) => (caller.name === 'anonymous' ? 'this client' : `API key ${caller.name}`);

/** Counts one hit in a bucket; a 429 with the seconds until the window resets when it is full. */
async function hit(store: Store, key: string, limit: number, windowMs: number, describe: (wait: number) => string): Promise<Hold> {
  const { totalHits, resetTime } = await failClosed(store.increment(key));
  if (totalHits <= limit) return NOTHING_HELD;
  const wait = secondsUntil(resetTime ?? Date.now() + windowMs);
  throw new RateLimitedError('rate_limited', describe(wait), { retryAfterSeconds: wait });
}

/**
 * Requests per window for each key across every /v1 route and call (shared by replicas
 * through Redis). Calls count through {@link take}, in the call pipeline, so a refusal is
 * audited; other /v1 routes count through {@link middleware}, in the same buckets.
 */
export class RequestRateLimit implements Limit {
  readonly name = 'requests per key';
  private readonly store: Store;

  constructor(
    private readonly config: PlatformConfig['rateLimits'],
    redis: Redis | undefined,
  ) {
    this.store = makeStore(redis, 'key', config.windowMs);
  }

  private limitOf(caller: Caller): number {
    return caller.rateLimit?.limit ?? this.config.perKey;
  }

  take(subject: LimitSubject): Promise<Hold> {
    return hit(this.store, bucket(subject.caller, subject.clientIp), this.limitOf(subject.caller), this.config.windowMs, (wait) => `Rate limit reached for ${who(subject.caller)}. Retry in ${wait} s.`);
  }

  /** The same buckets as HTTP middleware, for /v1 routes that are not calls; `skip` marks the call routes. */
  middleware(skip: (req: Request) => boolean): RequestHandler {
    const store = this.store;
    return rateLimit({
      store: {
        init: () => undefined,
        increment: (key) => failClosed(store.increment(key)),
        decrement: (key) => failClosed(store.decrement(key)),
        resetKey: (key) => failClosed(store.resetKey(key)),
        localKeys: false,
        prefix: 'key',
      } as Store,
      identifier: 'per-key',
      windowMs: this.config.windowMs,
      limit: (req: Request) => this.limitOf(req.caller),
      keyGenerator: (req: Request) => bucket(req.caller, req.ip),
      skip,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      passOnStoreError: false,
      handler: (req: Request, _res: Response, next: NextFunction, options: Options) => {
        const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
        const wait = secondsUntil(reset ?? Date.now() + options.windowMs);
        next(new RateLimitedError('rate_limited', `Rate limit reached for ${who(req.caller)}. Retry in ${wait} s.`, { retryAfterSeconds: wait }));
      },
      // The bucket is the API key (or req.ip under the configured `trust proxy`), never a
      // header the client can forge; keyGeneratorIpFallback cannot see that bucket() applies
      // ipKeyGenerator, so its warning is switched off.
      validate: { xForwardedForHeader: false, trustProxy: false, keyGeneratorIpFallback: false },
    });
  }
}

/** Per-key limits on one plugin's calls, for plugins that have one (`rateLimits.plugins`). */
export class PluginRateLimit implements Limit {
  readonly name = 'requests per key and plugin';
  private readonly limits: ReadonlyMap<string, { store: Store; limit: number; windowMs: number }>;

  constructor(config: PlatformConfig['rateLimits'], redis: Redis | undefined) {
    this.limits = new Map(
      Object.entries(config.plugins).map(([id, l]) => {
        const windowMs = l.windowMs ?? config.windowMs;
        return [id, { store: makeStore(redis, `plugin:${id}`, windowMs), limit: l.limit, windowMs }] as const;
      }),
    );
  }

  async take(subject: LimitSubject): Promise<Hold> {
    const l = this.limits.get(subject.plugin);
    if (!l) return NOTHING_HELD;
    const { plugin, caller } = subject;
    return hit(l.store, `${bucket(caller, subject.clientIp)}:${plugin}`, l.limit, l.windowMs, (wait) =>
      `Rate limit for plugin "${plugin}" reached for ${who(caller)} (${l.limit} per ${Math.round(l.windowMs / 1000)} s). Retry in ${wait} s.`,
    );
  }
}

