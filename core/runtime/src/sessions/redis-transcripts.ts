import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { Redis } from 'ioredis';
import type { TranscriptStore } from './transcripts';

const P = 'ccp:';
/** The set of a session's transcript keys; its TTL is refreshed with the session record. */
export const transcriptIndex = (sessionId: string) => `${P}transcripts:${sessionId}`;
// Keyed by session id (a UUID) and subpath only, not by the SDK's projectKey: that is
// derived from the working directory, which differs between replicas and restarts.
const transcriptKey = (key: { sessionId: string; subpath?: string }) => `${P}transcript:${key.sessionId}:${key.subpath ?? ''}`;

/** The SDK's SessionStore in Redis: transcripts any replica can resume. */
export class RedisTranscripts implements TranscriptStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}


  async append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const k = transcriptKey(key);
    await this.redis
      .multi()
      .rpush(k, ...entries.map((e) => JSON.stringify(e)))
      .pexpire(k, this.ttlMs)
      .sadd(transcriptIndex(key.sessionId), k)
      .pexpire(transcriptIndex(key.sessionId), this.ttlMs)
      .exec();
  }

  async load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    const raw = await this.redis.lrange(transcriptKey(key), 0, -1);
    return raw.length > 0 ? raw.map((r) => JSON.parse(r) as SessionStoreEntry) : null;
  }

  async listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]> {
    const prefix = transcriptKey({ sessionId: key.sessionId });
    const keys = await this.redis.smembers(transcriptIndex(key.sessionId));
    return keys.filter((k) => k.startsWith(prefix) && k !== prefix).map((k) => k.slice(prefix.length));
  }

  async deleteSession(sessionId: string): Promise<void> {
    const keys = await this.redis.smembers(transcriptIndex(sessionId));
    await this.redis.del(transcriptIndex(sessionId), ...keys);
  }

  async delete(key: SessionKey): Promise<void> {
    const k = transcriptKey(key);
    await this.redis.multi().del(k).srem(transcriptIndex(key.sessionId), k).exec();
  }

  async close(): Promise<void> {
    // The connection belongs to the shared state, which closes it.
  }
}
