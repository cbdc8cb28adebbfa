import { randomBytes } from 'node:crypto';
import type { ApiKeyConfig } from '../config/schema';
import type { Database, Queryable, SqlValue } from '../db/database';
import { generateKey, hashKey } from './key-secret';

/** A key's budget: per day and month, and per plugin. */
export type KeyBudget = NonNullable<ApiKeyConfig['budget']>;

/** What an operator sets on a key; every field but name may change later (PATCH). */
export interface KeySettings {
  readonly roles: readonly ('user' | 'admin')[];
  readonly plugins: readonly string[];
  readonly rateLimit?: { readonly limit: number } | null;
  readonly maxConcurrent?: number | null;
  readonly budget?: KeyBudget | null;
  readonly expiresAt?: Date | null;
}

/** One secret of a key, as stored: its SHA-256 and what lets a person recognise it, never the secret. */
export interface StoredSecret {
  readonly sha256: string;
  /** `ccp_` and the next 4 characters. */
  readonly prefix: string;
  readonly last4: string;
  readonly createdAt: Date;
  /** Set when the key was rotated: the end of this secret's grace period. */
  readonly expiresAt: Date | null;
}

/** A key in the database, with its secrets (hashes only). */
export interface StoredKey {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly ('user' | 'admin')[];
  readonly plugins: readonly string[];
  readonly rateLimit: { readonly limit: number } | null;
  readonly maxConcurrent: number | null;
  readonly budget: KeyBudget | null;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** The name of the key (or `npm run keys`) that created it. */
  readonly createdBy: string;
  /** Grows with every change to the key: the cursor replicas read changes by. */
  readonly changeSeq: number;
  readonly secrets: readonly StoredSecret[];
}

/** A key just made or rotated, with the secret shown this once. */
export interface IssuedKey {
  readonly key: StoredKey;
  readonly secret: string;
}

interface KeyRow {
  id: string;
  name: string;
  roles: ('user' | 'admin')[];
  plugins: string[];
  rate_limit: number | null;
  max_concurrent: number | null;
  budget: KeyBudget | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
  updated_at: Date;
  created_by: string;
  change_seq: number;
}

interface SecretRow {
  sha256: string;
  key_id: string;
  prefix: string;
  last4: string;
  created_at: Date;
  expires_at: Date | null;
}

const KEY_COLUMNS = 'id, name, roles, plugins, rate_limit, max_concurrent, budget, expires_at, revoked_at, created_at, updated_at, created_by, change_seq::float8 AS change_seq';
// Every change takes this lock, then its sequence number: numbers are handed out in commit
// order, so a replica reading "changes after n" never misses one that committed late.
const CHANGE_LOCK = 730_190_002;
const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

function secretOf(secret: string, now: Date): StoredSecret {
  return { sha256: hashKey(secret), prefix: secret.slice(0, 8), last4: secret.slice(-4), createdAt: now, expiresAt: null };
}

/**
 * API keys in the database (`ccp_keys`, `ccp_key_secrets`): plain SQL for PostgreSQL, run
 * by PostgreSQL or PGlite alike. A secret is generated here, handed back once and stored
 * only as its SHA-256. Times come from the caller (the platform's clock), so expiry and
 * grace periods follow an injected clock in tests.
 */
export class KeyStore {
  constructor(private readonly db: Database) {}

  private async change<T>(work: (tx: Queryable, seq: number) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${CHANGE_LOCK})`);
      const [row] = await tx.query<{ seq: number }>("SELECT nextval('ccp_key_changes')::float8 AS seq");
      return work(tx, Number(row?.seq));
    });
  }

  private async read(q: Queryable, where: string, params: readonly SqlValue[]): Promise<StoredKey[]> {
    const rows = await q.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM ccp_keys WHERE ${where} ORDER BY change_seq`, params);
    if (rows.length === 0) return [];
    const secrets = await q.query<SecretRow>(`SELECT sha256, key_id, prefix, last4, created_at, expires_at FROM ccp_key_secrets WHERE key_id IN (SELECT id FROM ccp_keys WHERE ${where}) ORDER BY created_at`, params);
    const byKey = new Map<string, StoredSecret[]>();
    for (const s of secrets) {
      const list = byKey.get(s.key_id) ?? [];
      list.push({ sha256: s.sha256, prefix: s.prefix, last4: s.last4, createdAt: date(s.created_at) as Date, expiresAt: date(s.expires_at) });
      byKey.set(s.key_id, list);
    }
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      roles: r.roles,
      plugins: r.plugins,
      rateLimit: r.rate_limit === null ? null : { limit: r.rate_limit },
      maxConcurrent: r.max_concurrent,
      budget: r.budget,
      expiresAt: date(r.expires_at),
      revokedAt: date(r.revoked_at),
      createdAt: date(r.created_at) as Date,
      updatedAt: date(r.updated_at) as Date,
      createdBy: r.created_by,
      changeSeq: Number(r.change_seq),
      secrets: byKey.get(r.id) ?? [],
    }));
  }

  /** Every key changed after `cursor` (0: all of them), oldest change first. */
  changedSince(cursor: number): Promise<StoredKey[]> {
    return this.read(this.db, 'change_seq > $1', [cursor]);
  }

  async get(id: string): Promise<StoredKey | undefined> {
    return (await this.read(this.db, 'id = $1', [id]))[0];
  }

  async byName(name: string): Promise<StoredKey | undefined> {
    return (await this.read(this.db, 'name = $1', [name]))[0];
  }

  /** Makes a key with a new secret; undefined when the name is taken. */
  async create(name: string, settings: KeySettings, createdBy: string, now: Date): Promise<IssuedKey | undefined> {
    const id = `key_${randomBytes(9).toString('base64url')}`;
    const secret = generateKey();
    const s = secretOf(secret, now);
    const made = await this.change(async (tx, seq) => {
      const inserted = await tx.query(
        `INSERT INTO ccp_keys (id, name, roles, plugins, rate_limit, max_concurrent, budget, expires_at, revoked_at, created_at, updated_at, created_by, change_seq)
         VALUES ($1, $2, $3::text::jsonb, $4::text::jsonb, $5, $6, $7::text::jsonb, $8, NULL, $9, $9, $10, $11) ON CONFLICT (name) DO NOTHING RETURNING id`,
        [id, name, json(settings.roles), json(settings.plugins), settings.rateLimit?.limit ?? null, settings.maxConcurrent ?? null, json(settings.budget), settings.expiresAt ?? null, now, createdBy, seq],
      );
      if (inserted.length === 0) return false;
      await tx.query('INSERT INTO ccp_key_secrets (sha256, key_id, prefix, last4, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, NULL)', [s.sha256, id, s.prefix, s.last4, now]);
      return true;
    });
    if (!made) return undefined;
    return { key: (await this.get(id)) as StoredKey, secret };
  }

  /** Changes a key's settings (a field left out stays, `null` clears it); undefined when there is no such key. */
  async update(id: string, patch: Partial<KeySettings>, now: Date): Promise<StoredKey | undefined> {
    const sets: string[] = [];
    const params: SqlValue[] = [id, now];
    // JSON goes in as text and is cast by the server, so both drivers send the same bytes.
    const set = (column: string, value: SqlValue, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (patch.roles !== undefined) set('roles', json(patch.roles), '::text::jsonb');
    if (patch.plugins !== undefined) set('plugins', json(patch.plugins), '::text::jsonb');
    if (patch.rateLimit !== undefined) set('rate_limit', patch.rateLimit?.limit ?? null);
    if (patch.maxConcurrent !== undefined) set('max_concurrent', patch.maxConcurrent);
    if (patch.budget !== undefined) set('budget', json(patch.budget), '::text::jsonb');
    if (patch.expiresAt !== undefined) set('expires_at', patch.expiresAt);
    return this.touch(id, sets, params);
  }

  private async touch(id: string, sets: readonly string[], params: SqlValue[], extra?: (tx: Queryable) => Promise<void>): Promise<StoredKey | undefined> {
    return this.change(async (tx, seq) => {
      params.push(seq);
      const updated = await tx.query(`UPDATE ccp_keys SET ${[...sets, 'updated_at = $2', `change_seq = $${params.length}`].join(', ')} WHERE id = $1 RETURNING id`, params);
      if (updated.length === 0) return undefined;
      await extra?.(tx);
      return (await this.read(tx, 'id = $1', [id]))[0];
    });
  }

  /**
   * Issues a new secret; the key's other secrets keep working until `graceEndsAt` (or their
   * own earlier end), then fail with key_expired. Undefined when there is no such key.
   */
  async rotate(id: string, graceEndsAt: Date, now: Date): Promise<IssuedKey | undefined> {
    const secret = generateKey();
    const s = secretOf(secret, now);
    const key = await this.touch(id, [], [id, now], async (tx) => {
      await tx.query('UPDATE ccp_key_secrets SET expires_at = $2 WHERE key_id = $1 AND (expires_at IS NULL OR expires_at > $2)', [id, graceEndsAt]);
      await tx.query('INSERT INTO ccp_key_secrets (sha256, key_id, prefix, last4, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, NULL)', [s.sha256, id, s.prefix, s.last4, now]);
    });
    return key ? { key, secret } : undefined;
  }

  /** Revokes a key at once (a second revoke keeps the first time); undefined when there is no such key. */
  revoke(id: string, now: Date): Promise<StoredKey | undefined> {
    return this.touch(id, ['revoked_at = coalesce(revoked_at, $2)'], [id, now]);
  }
}
