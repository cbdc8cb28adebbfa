import { Redis } from 'ioredis';
import { MemorySessions } from './memory-sessions';
import { RedisSessions } from './redis-sessions';
import { RedisTranscripts } from './redis-transcripts';
import type { SessionRepository } from './session-record';
import { MemoryTranscripts, type TranscriptStore } from './transcripts';

/** The session record and transcript stores a runtime uses, and how to let them go. */
export interface SessionStores {
  readonly sessions: SessionRepository;
  readonly transcripts: TranscriptStore;
  /** `memory` or `redis`, for /health/ready. */
  readonly kind: 'memory' | 'redis';
  /** Whether the backing store answers now. */
  healthy(): boolean;
  close(): Promise<void>;
}

/** In-memory stores by default; Redis (shared by replicas) when a URL is given. */
export function createSessionStores(redisUrl: string | undefined, ttlMs: number): SessionStores {
  if (!redisUrl) {
    const transcripts = new MemoryTranscripts();
    const sessions = new MemorySessions(transcripts);
    return { sessions, transcripts, kind: 'memory', healthy: () => true, close: async () => Promise.all([sessions.close(), transcripts.close()]).then(() => undefined) };
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', () => undefined); // state is reported by healthy(); ioredis reconnects by itself
  const transcripts = new RedisTranscripts(redis, ttlMs);
  return {
    sessions: new RedisSessions(redis, transcripts),
    transcripts,
    kind: 'redis',
    healthy: () => redis.status === 'ready',
    close: () => transcripts.close(),
  };
}
