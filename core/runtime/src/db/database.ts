/** A value a query parameter may take. */
export type SqlValue = string | number | boolean | null | Date;

/** What runs SQL: the database itself, or one transaction of it. */
export interface Queryable {
  /** Runs one statement with `$1…$n` parameters and gives back its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
}

/**
 * The platform's one query interface: plain SQL written for PostgreSQL, run by PostgreSQL
 * itself (`DATABASE_URL`, shared by replicas) or by PGlite (PostgreSQL compiled to
 * WebAssembly, embedded in this process, kept in a directory). Both speak the same SQL, so
 * one set of migrations and queries serves both.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Where it lives, without credentials (a directory, or host and database name). */
  readonly location: string;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
