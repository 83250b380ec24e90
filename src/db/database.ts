// The one database seam (after pg-boss's executeSql/withTransaction): the engine runs the same
// Drizzle `sql` statements on a pg Pool or on embedded PGlite, and never knows which.
import { type SQL, sql } from "drizzle-orm";

export interface StatementOptions {
  /**
   * The hot path's statements are prepared once per connection under this name (plus a hash of their
   * text) and their plan reused: planning the page write cost PostgreSQL 1 ms a page. PGlite ignores it.
   */
  prepare?: string;
}

/** A statement kept whole as text, its parameters numbered once (db/sql/bind.ts: bindStatement). */
export interface BoundStatement {
  /** The text as written, with `@name` parameters: what names the prepared statement. */
  readonly template: string;
  readonly text: string;
  readonly params: readonly unknown[];
}

export interface SqlRunner {
  /** Runs one statement; returns its rows (empty for statements without RETURNING). */
  rows<T = Record<string, unknown>>(query: SQL | BoundStatement, opts?: StatementOptions): Promise<T[]>;
}

export interface Database extends SqlRunner {
  readonly kind: "postgres" | "pglite";
  /** Where the data lives, safe to print (no password). */
  readonly location: string;
  /** Runs fn in one transaction; retried from the start on serialization/connection failures. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** Applies the committed migrations/ (idempotent; serialized across processes). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** Runs fn in a savepoint of the transaction tx: when fn throws, only its own work is rolled back. */
export async function inSavepoint<T>(tx: SqlRunner, name: "page_write" | "probe", fn: () => Promise<T>): Promise<T> {
  await tx.rows(sql.raw(`savepoint ${name}`));
  try {
    const value = await fn();
    await tx.rows(sql.raw(`release savepoint ${name}`));
    return value;
  } catch (err) {
    await tx.rows(sql.raw(`rollback to savepoint ${name}`));
    throw err;
  }
}
