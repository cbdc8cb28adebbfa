import type { Logger } from '@ccp/plugin-api';
import { ConfigError } from '../config/config-error';
import type { PlatformConfig, Secrets } from '../config/schema';
import type { Database } from './database';
import { migrate, SCHEMA_VERSION } from './migrations';
import { openPglite } from './pglite-database';
import { openPostgres } from './postgres-database';

/** Where keys and the ledger live for a config: PostgreSQL, the embedded database, or none. */
export type DatabaseChoice = { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'pglite'; readonly dir: string } | { readonly kind: 'none' };

/**
 * `DATABASE_URL` wins; else the embedded database in `database.embeddedDir` (the shipped
 * config sets `data`); else none (keys from the config file only, no ledger). Several
 * replicas (REDIS_URL) on embedded databases would each keep their own keys and ledger:
 * that is refused unless `database.allowUnshared` says it is meant.
 */
export function chooseDatabase(config: Pick<PlatformConfig, 'database'>, secrets: Pick<Secrets, 'databaseUrl' | 'redisUrl'>): DatabaseChoice {
  if (!config.database.enabled) return { kind: 'none' };
  if (secrets.databaseUrl) return { kind: 'postgres', url: secrets.databaseUrl };
  if (!config.database.embeddedDir) return { kind: 'none' };
  if (secrets.redisUrl && !config.database.allowUnshared) {
    throw new ConfigError('database', [
      'REDIS_URL is set (several replicas share sessions, limits and jobs) but DATABASE_URL is not: each replica would keep its own API keys and usage ledger in its embedded database, so a key created or revoked on one would not reach the others. ' +
        'Set DATABASE_URL to a PostgreSQL every replica reaches, or set database.allowUnshared: true if this single instance uses Redis on its own.',
    ]);
  }
  return { kind: 'pglite', dir: config.database.embeddedDir };
}

/** Opens the database a config chooses and brings its schema up to date; undefined for none. */
export async function openDatabase(config: Pick<PlatformConfig, 'database'>, secrets: Pick<Secrets, 'databaseUrl' | 'redisUrl'>, logger: Logger, holder = 'the platform server'): Promise<Database | undefined> {
  const choice = chooseDatabase(config, secrets);
  if (choice.kind === 'none') return undefined;
  const db = choice.kind === 'postgres' ? await openPostgres(choice.url) : await openPglite(choice.dir, holder);
  try {
    const { from, to } = await migrate(db);
    if (from !== to) logger.info({ database: db.kind, location: db.location, from, to }, `database schema migrated from version ${from} to ${to}`);
    else if (from > SCHEMA_VERSION) logger.warn({ database: db.kind, location: db.location, version: from }, `the database schema is at version ${from}, one newer than this build's ${SCHEMA_VERSION} (a rollback): running against it`);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
