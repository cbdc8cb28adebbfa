import { LRUCache } from 'lru-cache';
import type { SessionRecord, SessionRepository } from './session-record';
import type { TranscriptStore } from './transcripts';
import type { SessionTurn } from './turn-log';

/**
 * Session records in this process's memory, each expiring `ttlMs` after its last save.
 * An expired or evicted session takes its transcript and its turn log with it.
 */
export class MemorySessions implements SessionRepository {
  private readonly records: LRUCache<string, SessionRecord>;
  private readonly locks = new Set<string>();
  private readonly logs = new Map<string, SessionTurn[]>();

  constructor(transcripts: TranscriptStore, maxSessions = 10_000) {
    this.records = new LRUCache<string, SessionRecord>({
      max: maxSessions,
      ttlAutopurge: true,
      dispose: (_value, id, reason) => {
        if (reason === 'set') return;
        this.logs.delete(id);
        void transcripts.deleteSession(id);
      },
    });
  }

  async save(record: SessionRecord, ttlMs: number, turn?: SessionTurn): Promise<void> {
    this.records.set(record.id, record, { ttl: ttlMs });
    if (turn) this.logs.set(record.id, [...(this.logs.get(record.id) ?? []), turn]);
  }

  async turns(id: string): Promise<SessionTurn[]> {
    return this.records.has(id) ? [...(this.logs.get(id) ?? [])] : [];
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
    this.logs.clear();
  }
}
