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

export interface SqlRunner {
  /** Runs one statement; returns its rows (empty for statements without RETURNING). */
  rows<T = Record<string, unknown>>(query: SQL, opts?: StatementOptions): Promise<T[]>;
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

// SQLSTATEs after which re-running the whole transaction is safe and likely to succeed
// (graphile-worker's RETRYABLE_ERROR_CODES, plus the connection-loss classes).
const RETRYABLE_SQLSTATE = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available
  "57P01", // admin_shutdown (pg_terminate_backend)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "53300", // too_many_connections
]);
const RETRYABLE_NODE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"]);

export function isRetryableDbError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (RETRYABLE_SQLSTATE.has(code) || RETRYABLE_NODE_CODES.has(code))) return true;
    const msg = (e as { message?: unknown }).message;
    if (
      typeof msg === "string" &&
      /Connection terminated|connection (is )?(closed|lost)|Client has encountered a connection error/i.test(msg)
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * PostgreSQL refused a value (data exception, class 22: float8 or numeric range, time zone offset,
 * Unicode escape, invalid input; class 54: nesting too deep): a record's fault, not the database's.
 */
export function isRecordDataError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && (code.startsWith("22") || code.startsWith("54"));
}

export function dbErrorMessage(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof (e as { code?: unknown }).code === "string") return (e as Error).message;
    e = (e as { cause?: unknown }).cause;
  }
  return err instanceof Error ? err.message : String(err);
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
