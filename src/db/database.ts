// The one database seam (after pg-boss's executeSql/withTransaction): the engine runs the same
// Drizzle `sql` statements on a pg Pool or on embedded PGlite, and never knows which.
import type { SQL } from "drizzle-orm";

export interface SqlRunner {
  /** Runs one statement; returns its rows (empty for statements without RETURNING). */
  rows<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
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
    if (typeof msg === "string" && /Connection terminated|connection (is )?(closed|lost)|Client has encountered a connection error/i.test(msg)) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
