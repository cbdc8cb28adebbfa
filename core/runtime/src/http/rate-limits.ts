import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Options, type Store } from 'express-rate-limit';
import { RateLimitedError } from '@ccp/plugin-api';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Caller } from '../auth/caller';
import type { PlatformConfig } from '../config/schema';

function makeStore(redis: Redis | undefined, prefix: string): Store {
  if (!redis) return new MemoryStore();
  return new RedisStore({
    prefix: `ccp:rl:${prefix}:`,
    sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
  });
}

/** A caller's bucket: the API key's name, or (auth off) the client address. */
function bucket(caller: Caller, ip: string | undefined): string {
  // ipKeyGenerator groups an IPv6 client's /56, so it cannot hop addresses to escape its bucket.
  return caller.name === 'anonymous' ? `ip:${ipKeyGenerator(ip ?? '0.0.0.0')}` : `key:${caller.name}`;
}

/** The caller's bucket: the API key's name, never anything the client can forge. */
function callerKey(req: Request): string {
  // Auth on: the key's name. Auth off: the client address as express derives it under
  // the configured `trust proxy` (so X-Forwarded-For counts only behind a trusted proxy).
  return bucket(req.caller, req.ip);
}

function limited(req: Request, _res: Response, next: NextFunction, options: Options): void {
  const seconds = Math.max(1, Math.ceil(options.windowMs / 1000));
  const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  const wait = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : seconds;
  next(new RateLimitedError('rate_limited', `Rate limit reached for ${callerKey(req).replace(/^key:/, 'API key ')}. Retry in ${wait} s.`, { retryAfterSeconds: wait }));
}

const common: Partial<Options> = {
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  handler: limited,
  // The bucket is the API key, not the client address, so a forwarded-for header is
  // irrelevant here; trust proxy only shapes req.ip (used while auth is off).
  // keyGeneratorIpFallback reads our keyGenerator's source and cannot see that bucket()
  // applies ipKeyGenerator; the check is done, so the warning is switched off.
  validate: { xForwardedForHeader: false, trustProxy: false, keyGeneratorIpFallback: false },
};

/** The per-key limit as HTTP middleware, and the same buckets for WebSocket calls. */
export interface PerKeyLimit {
  readonly middleware: RequestHandler;
  /** Counts one WebSocket call; a {@link RateLimitedError} when the bucket is full. */
  consume(caller: Caller, ip: string | undefined): Promise<void>;
}

/** Requests per window for each key, across all /v1 routes and WebSocket calls (shared by replicas through Redis). */
export function perKeyLimiter(config: PlatformConfig['rateLimits'], redis: Redis | undefined): PerKeyLimit {
  const shared = makeStore(redis, 'key');
  const limitOf = (caller: Caller) => caller.rateLimit?.limit ?? config.perKey;
  const middleware = rateLimit({
    ...common,
    store: shared,
    identifier: 'per-key',
    windowMs: config.windowMs,
    limit: (req: Request) => limitOf(req.caller),
    keyGenerator: callerKey,
  });
  return {
    middleware,
    consume: async (caller, ip) => {
      const { totalHits, resetTime } = await shared.increment(bucket(caller, ip));
      if (totalHits <= limitOf(caller)) return;
      const wait = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : Math.ceil(config.windowMs / 1000);
      throw new RateLimitedError('rate_limited', `Rate limit reached for API key ${caller.name}. Retry in ${wait} s.`, { retryAfterSeconds: wait });
    },
  };
}

/** Per-key limits on one plugin's calls, applied wherever a call starts (HTTP, SSE, WebSocket, sessions). */
export interface PluginLimit {
  /** Counts one call; a {@link RateLimitedError} when the caller's bucket for the plugin is full. */
  consume(caller: Caller, ip: string | undefined, pluginId: string): Promise<void>;
}

/** Requests per window for each key on one plugin, for plugins that have a limit. */
export function perPluginLimiter(config: PlatformConfig['rateLimits'], redis: Redis | undefined): PluginLimit {
  const limits = new Map(
    Object.entries(config.plugins).map(([id, l]) => {
      const windowMs = l.windowMs ?? config.windowMs;
      const bucketStore = makeStore(redis, `plugin:${id}`);
      bucketStore.init?.({ windowMs } as Options);
      return [id, { store: bucketStore, limit: l.limit, windowMs }] as const;
    }),
  );
  return {
    consume: async (caller, ip, pluginId) => {
      const l = limits.get(pluginId);
      if (!l) return;
      const { totalHits, resetTime } = await l.store.increment(`${bucket(caller, ip)}:${pluginId}`);
      if (totalHits <= l.limit) return;
      const wait = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : Math.ceil(l.windowMs / 1000);
      throw new RateLimitedError('rate_limited', `Rate limit for plugin "${pluginId}" reached for ${caller.name === 'anonymous' ? 'this client' : `API key ${caller.name}`} (${l.limit} per ${Math.round(l.windowMs / 1000)} s). Retry in ${wait} s.`, { retryAfterSeconds: wait });
    },
  };
}
