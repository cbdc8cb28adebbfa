import type { Redis } from 'ioredis';
import type { SessionRecord, SessionRepository } from './session-record';
import type { TranscriptStore } from './transcripts';
import type { SessionTurn } from './turn-log';

import { transcriptIndex } from './redis-transcripts';

const P = 'ccp:';
const recordKey = (id: string) => `${P}session:${id}`;
const ownerKey = (owner: string) => `${P}sessions-of:${owner}`;
const lockKey = (id: string) => `${P}session-lock:${id}`;
const turnsKey = (id: string) => `${P}session-turns:${id}`;

// Releases a lock only if it is still ours (a slow turn must not free its successor's lock).
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Session records in Redis, shared by every replica: any instance can resume any session,
 * and a restart loses nothing. A record, its turn log (a list) and its transcripts expire
 * together, `ttlMs` after the last turn.
 */
export class RedisSessions implements SessionRepository {
  constructor(
    private readonly redis: Redis,
    private readonly transcripts: TranscriptStore,
  ) {}

  async save(record: SessionRecord, ttlMs: number, turn?: SessionTurn): Promise<void> {
    const write = this.redis.multi().set(recordKey(record.id), JSON.stringify(record), 'PX', ttlMs);
    if (turn) write.rpush(turnsKey(record.id), JSON.stringify(turn));
    await write
      .pexpire(turnsKey(record.id), ttlMs)
      .sadd(ownerKey(record.owner), record.id)
      .pexpire(ownerKey(record.owner), ttlMs) // refreshed by every save; expires once the owner's last session has
      .pexpire(transcriptIndex(record.id), ttlMs)
      .exec();
    const keys = await this.redis.smembers(transcriptIndex(record.id));
    if (keys.length > 0) await Promise.all(keys.map((k) => this.redis.pexpire(k, ttlMs)));
  }

  async turns(id: string): Promise<SessionTurn[]> {
    return (await this.redis.lrange(turnsKey(id), 0, -1)).map((t) => JSON.parse(t) as SessionTurn);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const raw = await this.redis.get(recordKey(id));
    return raw ? (JSON.parse(raw) as SessionRecord) : undefined;
  }

  async list(owner: string): Promise<SessionRecord[]> {
    const ids = await this.redis.smembers(ownerKey(owner));
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map(recordKey));
    const gone = ids.filter((_, i) => raws[i] === null);
    if (gone.length > 0) await this.redis.srem(ownerKey(owner), ...gone);
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as SessionRecord);
  }

  async delete(id: string): Promise<void> {
    const record = await this.get(id);
    await this.redis.del(recordKey(id), turnsKey(id));
    if (record) await this.redis.srem(ownerKey(record.owner), id);
    await this.transcripts.deleteSession(id);
  }

  async lock(id: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const ok = await this.redis.set(lockKey(id), token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return undefined;
    return async () => void (await this.redis.eval(UNLOCK, 1, lockKey(id), token));
  }

  async close(): Promise<void> {
    // The Redis connection is shared with the transcripts; whoever made it closes it.
  }
}
