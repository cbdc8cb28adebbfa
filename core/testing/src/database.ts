import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, openDatabase, parseConfig, type Database } from '@ccp/runtime';

/** An embedded database (PGlite) in a fresh directory, migrated, for one test file. */
export interface TestDatabase {
  readonly db: Database;
  readonly dir: string;
  /** Closes it and deletes its directory. */
  close(): Promise<void>;
}

/** Opens and migrates an embedded database in a temporary directory (about 2-3 s the first time). */
export async function startTestDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'ccp-test-db-'));
  const db = await openDatabase(parseConfig({ database: { embeddedDir: join(dir, 'data') } }), {}, createLogger('silent'), 'a test');
  if (!db) throw new Error('no database was opened');
  return {
    db,
    dir,
    close: async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
