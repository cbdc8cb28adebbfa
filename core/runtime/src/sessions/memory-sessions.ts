import { LRUCache } from 'lru-cache';
import type { SessionRecord, SessionRepository } from './session-record';
import type { TranscriptStore } from './transcripts';

/**
 * Session records in this process's memory, each expiring `ttlMs` after its last save.
 * An expired or evicted session takes its transcript with it.
 */
export class MemorySessions implements SessionRepository {
  private readonly records: LRUCache<string, SessionRecord>;
  private readonly locks = new Set<string>();

  constructor(transcripts: TranscriptStore, maxSessions = 10_000) {
    this.records = new LRUCache<string, SessionRecord>({
      max: maxSessions,
      ttlAutopurge: true,
      dispose: (_value, id, reason) => {
        if (reason !== 'set') void transcripts.deleteSession(id);
      },
    });
  }

  async save(record: SessionRecord, ttlMs: number): Promise<void> {
    this.records.set(record.id, record, { ttl: ttlMs });
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    return this.records.get(id);
  }

  async list(owner: string): Promise<SessionRecord[]> {
    return [...this.records.values()].filter((r) => r.owner === owner);
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }

  async lock(id: string): Promise<(() => Promise<void>) | undefined> {
    if (this.locks.has(id)) return undefined;
    this.locks.add(id);
    return async () => void this.locks.delete(id);
  }

  async close(): Promise<void> {
    this.records.clear();
  }
}
