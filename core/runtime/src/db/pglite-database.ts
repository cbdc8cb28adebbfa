import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Database, Queryable, SqlValue } from './database';
import { holdDirectory } from './directory-lock';

/**
 * PGlite (PostgreSQL in WebAssembly) in `dir`: a single instance needs no other service and
 * keeps its data across restarts. One process at a time: a lock file in the directory says
 * which process holds it, and a second one is refused with that message.
 */
export async function openPglite(dir: string, holder: string): Promise<Database> {
  const path = resolve(dir);
  await mkdir(path, { recursive: true });
  const release = await holdDirectory(path, holder);
  try {
    // ESM and CommonJS both ship; the dynamic import keeps the WebAssembly off every path that needs no database.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(`${path}/pgdata`);
    const query = async <R>(sql: string, params: readonly SqlValue[] = []) => (await db.query<R>(sql, params as SqlValue[])).rows;
    return {
      kind: 'pglite',
      location: path,
      query,
      transaction: (work) => db.transaction((tx) => work({ query: async <R>(sql: string, params: readonly SqlValue[] = []) => (await tx.query<R>(sql, params as SqlValue[])).rows } satisfies Queryable)),
      close: async () => {
        try {
          await db.close();
        } finally {
          await release();
        }
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}
