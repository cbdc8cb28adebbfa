import { Redis } from 'ioredis';
import { MemoryCounters, RedisCounters, type Counters } from '../limits/counters';
import { MemorySessions } from '../sessions/memory-sessions';
import { RedisSessions } from '../sessions/redis-sessions';
import { RedisTranscripts } from '../sessions/redis-transcripts';
import type { SessionRepository } from '../sessions/session-record';
import { MemoryTranscripts, type TranscriptStore } from '../sessions/transcripts';

/**
 * Everything replicas must share: sessions and their transcripts, concurrency and budget
 * counters, and (through `redis`) rate-limit buckets. In memory by default; in Redis, over
 * one connection, when REDIS_URL is set.
 */
export interface SharedState {
  readonly kind: 'memory' | 'redis';
  /** The Redis connection, when there is one (rate limits build their store on it). */
  readonly redis?: Redis;
  readonly sessions: SessionRepository;
  readonly transcripts: TranscriptStore;
  readonly counters: Counters;
  /** Whether the backing store answers now. */
  healthy(): boolean;
  close(): Promise<void>;
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
      healthy: () => true,
      close: async () => {
        await sessions.close();
        await transcripts.close();
      },
    };
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', () => undefined); // state is reported by healthy(); ioredis reconnects by itself
  const transcripts = new RedisTranscripts(redis, sessionTtlMs);
  return {
    kind: 'redis',
    redis,
    sessions: new RedisSessions(redis, transcripts),
    transcripts,
    counters: new RedisCounters(redis),
    healthy: () => redis.status === 'ready',
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
