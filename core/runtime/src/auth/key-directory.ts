import type { Logger } from '@ccp/plugin-api';
import type { Caller } from './caller';
import type { KeyStore, StoredKey, StoredSecret } from './key-store';

/** A database key as the authenticator finds it by a secret's hash. */
export interface DirectoryEntry {
  readonly key: StoredKey;
  readonly secret: StoredSecret;
  /** The caller this key authenticates as (built once per change of the key). */
  readonly caller: Caller;
}

/** What {@link KeyDirectory} reports after each read of the database. */
export interface DirectoryEvents {
  /** A refresh read this many changed keys (0 when nothing changed). */
  refreshed?(changed: number): void;
  /** A refresh failed; the last snapshot keeps serving. */
  failed?(err: unknown): void;
}

const callerOf = (k: StoredKey): Caller => ({
  id: k.id,
  name: k.name,
  roles: k.roles,
  plugins: k.plugins,
  ...(k.rateLimit ? { rateLimit: k.rateLimit } : {}),
  ...(k.maxConcurrent ? { maxConcurrent: k.maxConcurrent } : {}),
  ...(k.budget ? { budget: k.budget } : {}),
});

/**
 * This instance's snapshot of the keys in the database, so authenticating a request never
 * waits on the database. Every `refreshMs` it reads the keys changed after its cursor (one
 * indexed query; changes are numbered in commit order, see KeyStore); a change made on this
 * instance is applied at once through {@link apply}. A change made on another replica is
 * therefore seen here within `refreshMs` plus one query. A failed refresh keeps the last
 * snapshot (a revoked key stays refused, a new key waits) and is retried on the next tick.
 */
export class KeyDirectory {
  private readonly byHash = new Map<string, DirectoryEntry>();
  private readonly byId = new Map<string, StoredKey>();
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly store: Pick<KeyStore, 'changedSince'>,
    private readonly refreshMs: number,
    private readonly logger?: Logger,
    private readonly events: DirectoryEvents = {},
  ) {}

  /** Reads every key, then keeps reading changes every `refreshMs` until {@link close}. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
    this.timer.unref();
  }

  /** Reads the keys changed since the last read (at most one read at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const changed = await this.store.changedSince(this.cursor);
        // Only a read moves the cursor: a local change applied early must not skip one
        // that another replica committed just before it.
        for (const key of changed) this.cursor = Math.max(this.cursor, key.changeSeq);
        this.apply(changed);
        if (this.failing) this.logger?.info({}, 'API keys are read from the database again');
        this.failing = false;
        this.events.refreshed?.(changed.length);
      } catch (err) {
        if (!this.failing) this.logger?.warn({ err }, 'could not read API key changes from the database; serving the last snapshot');
        this.failing = true;
        this.events.failed?.(err);
        throw err;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Takes in keys as they are now (a read, or a change this instance just made); an older version never replaces a newer one. */
  apply(keys: readonly StoredKey[]): void {
    for (const key of keys) {
      const held = this.byId.get(key.id);
      if (held && held.changeSeq > key.changeSeq) continue;
      for (const s of held?.secrets ?? []) this.byHash.delete(s.sha256);
      this.byId.set(key.id, key);
      const caller = callerOf(key);
      for (const secret of key.secrets) this.byHash.set(secret.sha256, { key, secret, caller });
    }
  }

  /** Whether the last read of the database failed (the snapshot is then as of the last good read). */
  get stale(): boolean {
    return this.failing;
  }

  /** The key one of whose secrets has this hex SHA-256. */
  lookup(sha256: string): DirectoryEntry | undefined {
    return this.byHash.get(sha256);
  }

  get(id: string): StoredKey | undefined {
    return this.byId.get(id);
  }

  /** Every key, revoked ones included, oldest first. */
  list(): StoredKey[] {
    return [...this.byId.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Where a key stands at `now`. */
export function keyState(key: Pick<StoredKey, 'revokedAt' | 'expiresAt'>, now: Date): 'active' | 'expired' | 'revoked' {
  if (key.revokedAt && key.revokedAt.getTime() <= now.getTime()) return 'revoked';
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}
