import type { TokenUsage, WorkspaceFile } from '@ccp/plugin-api';
import type { SessionTurn } from './turn-log';

/** What the platform keeps about one multi-turn session (the transcript lives in the transcript store). */
export interface SessionRecord {
  readonly id: string;
  readonly plugin: string;
  /** The caller that created it; nobody else can see or use it. */
  readonly owner: string;
  readonly createdAt: number;
  readonly lastActiveAt: number;
  /** Turns answered so far. */
  readonly turns: number;
  /** Tokens and cost of all turns so far (the SDK's running totals for the session). */
  readonly usage: TokenUsage & { readonly costUsd: number };
  /** The files placed in the workspace for every turn (from the first input). */
  readonly files: readonly WorkspaceFile[];
}

/** Where session records live: in memory on one instance, or in Redis for several. */
export interface SessionRepository {
  /**
   * Stores a record, expiring `ttlMs` after now (refreshed on every save), and with `turn`
   * appends that turn to the session's log in the same write. The log expires and is
   * deleted with the record.
   */
  save(record: SessionRecord, ttlMs: number, turn?: SessionTurn): Promise<void>;
  /** The session's answered turns, oldest first (empty for none, or an unknown session). */
  turns(id: string): Promise<SessionTurn[]>;
  get(id: string): Promise<SessionRecord | undefined>;
  list(owner: string): Promise<SessionRecord[]>;
  delete(id: string): Promise<void>;
  /** Takes the session's turn lock; `undefined` when another turn holds it. */
  lock(id: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  close(): Promise<void>;
}
