import { Redis } from 'ioredis';
import { MemoryCounters, RedisCounters, type Counters } from '../limits/counters';
import { within } from '../lifecycle/within';
import { MemorySessions } from '../sessions/memory-sessions';
import { RedisSessions } from '../sessions/redis-sessions';
import { RedisTranscripts } from '../sessions/redis-transcripts';
import type { SessionRepository } from '../sessions/session-record';
import { MemoryTranscripts, type TranscriptStore } from '../sessions/transcripts';
import { MemoryInstances, type InstanceRegistry } from './instances';
import { RedisInstances } from './redis-instances';

/**
 * Everything replicas must share: sessions and their transcripts, concurrency and budget
 * counters, each instance's summary for the status view, and (through `redis`) rate-limit buckets. In memory by default; in Redis, over
 * one connection, when REDIS_URL is set.
 */
/** How long closing waits for Redis to answer QUIT before it drops the connection. */
const QUIT_TIMEOUT_MS = 1_000;

export interface SharedState {
  readonly kind: 'memory' | 'redis';
  /** The Redis connection, when there is one (rate limits build their store on it). */
  readonly redis?: Redis;
  /** Its URL (REDIS_URL), for what needs connections of its own (the job queue's blocking worker). */
  readonly redisUrl?: string;
  readonly sessions: SessionRepository;
  readonly transcripts: TranscriptStore;
  readonly counters: Counters;
  /** The live instances (in memory: this process's only). */
  readonly instances: InstanceRegistry;
  /** Whether the backing store answers now. */
  healthy(): boolean;
  /** Resolves once the store answers, or after `timeoutMs` (false: it did not; calls then get 503s until it does). */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Fail fast while Redis is away, so an outage is a prompt typed 503 (`shared_state_unavailable`)
 * and never a request held open: no offline queue (a command while disconnected fails at
 * once, instead of waiting for a reconnect), and a command timeout (a Redis that accepts
 * but does not answer, e.g. stopped or swapping, fails a command after 2 s).
 */
export const REDIS_OPTIONS = { enableOfflineQueue: false, commandTimeout: 2_000, connectTimeout: 2_000, maxRetriesPerRequest: 1 } as const;

function connected(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    redis.on('ready', onReady);
  });
}

/** In-memory state by default; Redis (shared by replicas) when a URL is given. */
export function createSharedState(redisUrl: string | undefined, sessionTtlMs: number): SharedState {
  if (!redisUrl) {
    const transcripts = new MemoryTranscripts();
    const sessions = new MemorySessions(transcripts);
    return {
      kind: 'memory',
      sessions,
      transcripts,
      counters: new MemoryCounters(),
      instances: new MemoryInstances(),
      healthy: () => true,
      ready: async () => true,
      close: async () => {
        await sessions.close();
        await transcripts.close();
      },
    };
  }
  const redis = new Redis(redisUrl, REDIS_OPTIONS);
  redis.on('error', () => undefined); // state is reported by healthy(); ioredis reconnects by itself
  const transcripts = new RedisTranscripts(redis, sessionTtlMs);
  return {
    kind: 'redis',
    redis,
    redisUrl,
    sessions: new RedisSessions(redis, transcripts),
    transcripts,
    counters: new RedisCounters(redis),
    instances: new RedisInstances(redis),
    healthy: () => redis.status === 'ready',
    ready: (timeoutMs) => connected(redis, timeoutMs),
    close: async () => {
      // QUIT waits for Redis to answer it; with Redis away (reconnecting) that may be never.
      const quit = redis.quit().then(() => true, () => false);
      if (!((await within(quit, QUIT_TIMEOUT_MS)) && (await quit))) redis.disconnect();
    },
  };
}
