import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from './database';
import { DatabaseHeldError } from './directory-lock';
import { migrate, SCHEMA_VERSION, SchemaTooNewError, type Migration } from './migrations';
import { openPglite } from './pglite-database';

describe('migrations on the embedded database (PGlite)', () => {
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccp-migrate-'));
    db = await openPglite(dir, 'the migration test');
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const version = async () => (await db.query<{ version: number }>('SELECT version FROM ccp_schema'))[0]?.version;

  it('brings an empty database to the current version once, and a second run changes nothing', async () => {
    expect(await migrate(db)).toEqual({ from: 0, to: SCHEMA_VERSION });
    expect(await migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    expect(await version()).toBe(SCHEMA_VERSION);
    expect(await db.query('SELECT count(*)::int AS n FROM ccp_keys')).toEqual([{ n: 0 }]);
  });

  it('applies a later migration in order, and rolls back a failing one whole', async () => {
    const next: Migration[] = [{ version: SCHEMA_VERSION + 1, name: 'expand', up: ['CREATE TABLE ccp_test_expand (id int)'] }];
    const broken: Migration[] = [{ version: SCHEMA_VERSION + 1, name: 'broken', up: ['CREATE TABLE ccp_test_broken (id int)', 'SELECT no_such_function()'] }];
    await expect(migrate(db, broken)).rejects.toThrow(/no_such_function/);
    expect(await version()).toBe(SCHEMA_VERSION);
    expect(await db.query("SELECT to_regclass('ccp_test_broken') AS t")).toEqual([{ t: null }]);
    expect(await migrate(db, next)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    // This build (one version behind) still runs against it: a one-release rollback.
    expect(await migrate(db)).toEqual({ from: SCHEMA_VERSION + 1, to: SCHEMA_VERSION + 1 });
  });

  it('refuses a schema more than one version ahead, saying what to do', async () => {
    await db.query('UPDATE ccp_schema SET version = $1', [SCHEMA_VERSION + 2]);
    const err = await migrate(db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as Error).message).toMatch(new RegExp(`version ${SCHEMA_VERSION + 2}.*up to ${SCHEMA_VERSION}.*Run a newer release`));
    await db.query('UPDATE ccp_schema SET version = $1', [SCHEMA_VERSION]);
  });

  it('serves one process at a time: a second open of the directory is refused with who holds it', async () => {
    const err = await openPglite(dir, 'a second opener').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseHeldError);
    expect((err as Error).message).toContain('the migration test');
    expect((err as Error).message).toContain('POST /v1/admin/keys');
  });
});
