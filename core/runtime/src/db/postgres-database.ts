import { Pool } from 'pg';
import type { Database, Queryable, SqlValue } from './database';

/** Host, port and database name of a connection string: never its user or password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgresql://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgresql (DATABASE_URL)';
  }
}

/** PostgreSQL through node-postgres' pool (`DATABASE_URL`): what several replicas share. */
export async function openPostgres(url: string, maxConnections = 5): Promise<Database> {
  const pool = new Pool({ connectionString: url, max: maxConnections, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  // A connection that drops while idle must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const query = async <R>(sql: string, params: readonly SqlValue[] = []) => (await pool.query(sql, params as SqlValue[])).rows as R[];
  await query('SELECT 1');
  return {
    kind: 'postgres',
    location: describeUrl(url),
    query,
    transaction: async (work) => {
      const client = await pool.connect();
      const tx: Queryable = { query: async <R>(sql: string, params: readonly SqlValue[] = []) => (await client.query(sql, params as SqlValue[])).rows as R[] };
      try {
        await client.query('BEGIN');
        const result = await work(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
