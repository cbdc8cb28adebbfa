import type { Database, Queryable } from './database';

/** One step of the schema. Each is written expand-then-contract (see {@link MIGRATIONS}). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: readonly string[];
}

/**
 * The schema, one version per entry, applied in order at boot. Rules that keep a rolling
 * upgrade and a one-version rollback working: a migration only adds (tables, nullable
 * columns, indexes) so that the previous release still runs against it; a column or table
 * the code stops using is dropped one release later, never in the release that stops using it.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'keys, key secrets and the usage ledger',
    up: [
      `CREATE SEQUENCE ccp_key_changes`,
      `CREATE TABLE ccp_keys (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        roles jsonb NOT NULL,
        plugins jsonb NOT NULL,
        rate_limit integer,
        max_concurrent integer,
        budget jsonb,
        expires_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        created_by text NOT NULL,
        change_seq bigint NOT NULL
      )`,
      `CREATE INDEX ccp_keys_change_seq ON ccp_keys (change_seq)`,
      `CREATE TABLE ccp_key_secrets (
        sha256 text PRIMARY KEY,
        key_id text NOT NULL REFERENCES ccp_keys (id),
        prefix text NOT NULL,
        last4 text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz
      )`,
      `CREATE INDEX ccp_key_secrets_key ON ccp_key_secrets (key_id)`,
      `CREATE TABLE ccp_ledger (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        request_id text NOT NULL,
        key_id text NOT NULL,
        key_name text NOT NULL,
        plugin text NOT NULL,
        operation text NOT NULL,
        transport text NOT NULL,
        engine text,
        outcome text NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cache_read_tokens bigint NOT NULL,
        cache_write_tokens bigint NOT NULL,
        cost_usd numeric(18, 6) NOT NULL,
        duration_ms integer NOT NULL,
        job_id text,
        session_id text
      )`,
      `CREATE INDEX ccp_ledger_at ON ccp_ledger (at)`,
      `CREATE INDEX ccp_ledger_key_at ON ccp_ledger (key_id, at)`,
    ],
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Thrown when the database's schema is newer than this build can run against. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the database schema is at version ${found}, and this build knows versions up to ${known}: a build runs against its own version or one newer (a rollback of one release), not ${found - known} newer. ` +
        'Run a newer release of the platform, or restore a backup taken before the upgrade.',
    );
  }
}

// Any fixed number: every instance that migrates takes the same lock, so two booting at once
// against one PostgreSQL apply each migration once.
const MIGRATION_LOCK = 730_190_001;

async function currentVersion(q: Queryable): Promise<number> {
  const rows = await q.query<{ version: number }>('SELECT version FROM ccp_schema WHERE id = 1');
  return rows[0]?.version ?? 0;
}

/**
 * Brings the schema to this build's version at boot, in one transaction
 * under an advisory lock. A schema one version ahead (the release after this one, rolled
 * back) is accepted as it is; more than one ahead is refused with {@link SchemaTooNewError}.
 * Resolves with the version found and the one reached.
 */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<{ from: number; to: number }> {
  const known = migrations[migrations.length - 1]?.version ?? 0;
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.query('CREATE TABLE IF NOT EXISTS ccp_schema (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL, updated_at timestamptz NOT NULL)');
    const from = await currentVersion(tx);
    if (from > known + 1) throw new SchemaTooNewError(from, known);
    if (from >= known) return { from, to: from };
    for (const m of migrations.filter((m) => m.version > from)) {
      for (const statement of m.up) await tx.query(statement);
      await tx.query('INSERT INTO ccp_schema (id, version, updated_at) VALUES (1, $1, now()) ON CONFLICT (id) DO UPDATE SET version = $1, updated_at = now()', [m.version]);
    }
    return { from, to: known };
  });
}
