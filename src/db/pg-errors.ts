// Postgres errors, classified in one place by their SQLSTATE (PostgreSQL Appendix A), after
// graphile-worker's table of retryable codes. One walker follows an error's `cause` chain (Drizzle
// wraps the driver's error) and the `errors` of an AggregateError (Node ≥ 20 tries every address of
// a host name and reports all of them in one).

/** What a code means for the command: the database unusable (exit 2), or a value a record brought. */
export type PgErrorClass = "connection" | "auth" | "database-missing" | "permission" | "server-unavailable";

interface Meaning {
  /** The database cannot be used at all: the command stops with exit 2. */
  fatal?: PgErrorClass;
  /** Re-running the whole transaction is safe and likely to succeed. */
  retryable?: true;
}

const SQLSTATES: Readonly<Record<string, Meaning>> = {
  "08000": { fatal: "connection", retryable: true }, // connection_exception
  "08001": { fatal: "connection", retryable: true }, // sqlclient_unable_to_establish_sqlconnection
  "08003": { fatal: "connection", retryable: true }, // connection_does_not_exist
  "08004": { fatal: "connection", retryable: true }, // sqlserver_rejected_establishment_of_sqlconnection
  "08006": { fatal: "connection", retryable: true }, // connection_failure
  "28000": { fatal: "auth" }, // invalid_authorization_specification (pg_hba.conf rejects the role)
  "28P01": { fatal: "auth" }, // invalid_password
  "3D000": { fatal: "database-missing" }, // invalid_catalog_name
  "42501": { fatal: "permission" }, // insufficient_privilege
  "40001": { retryable: true }, // serialization_failure
  "40P01": { retryable: true }, // deadlock_detected
  "55P03": { retryable: true }, // lock_not_available
  "53300": { fatal: "server-unavailable", retryable: true }, // too_many_connections
  "57P01": { fatal: "server-unavailable", retryable: true }, // admin_shutdown (pg_terminate_backend)
  "57P02": { fatal: "server-unavailable", retryable: true }, // crash_shutdown
  "57P03": { fatal: "server-unavailable", retryable: true }, // cannot_connect_now (starting up, recovery)
};

/** Node's socket errors: the server is not there (or not reachable) at the address DATABASE_URL names. */
const UNREACHABLE_ERRNOS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
/** Node's socket errors after which a transaction may simply be run again. */
const RETRYABLE_ERRNOS = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"]);

/** The error and every error it wraps, outermost first. */
function* chain(err: unknown, depth = 0): Generator<object> {
  for (let e: unknown = err; e && typeof e === "object" && depth < 6; depth++) {
    yield e;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const i of inner) yield* chain(i, depth + 1);
    e = (e as { cause?: unknown }).cause;
  }
}

const codeOf = (e: object): string | undefined => {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
};

/** The SQLSTATE a database error carries, if any. */
export function sqlStateOf(err: unknown): string | undefined {
  for (const e of chain(err)) {
    const code = codeOf(e);
    if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The class of a database error that makes the database unusable, or undefined. */
export function classifyPgError(err: unknown): PgErrorClass | undefined {
  for (const e of chain(err)) {
    const code = codeOf(e);
    if (code === undefined) continue;
    if (UNREACHABLE_ERRNOS.has(code)) return "connection";
    const fatal = SQLSTATES[code]?.fatal;
    if (fatal) return fatal;
  }
  return undefined;
}

/**
 * Whether re-running the whole transaction is safe and likely to succeed. node-postgres reports a
 * connection that dropped mid-statement as a plain Error without any code ("Connection terminated
 * unexpectedly"); that one case is told by its message, as nothing else identifies it.
 */
export function isRetryableDbError(err: unknown): boolean {
  for (const e of chain(err)) {
    const code = codeOf(e);
    if (code !== undefined && (SQLSTATES[code]?.retryable || RETRYABLE_ERRNOS.has(code))) return true;
    const msg = (e as { message?: unknown }).message;
    if (code === undefined && typeof msg === "string" && /^Connection terminated|Client has encountered a connection error/.test(msg)) {
      return true;
    }
  }
  return false;
}

/**
 * PostgreSQL refused a value (data exception, class 22: float8 or numeric range, time zone offset,
 * Unicode escape, invalid input; class 54: nesting too deep): a record's fault, not the database's.
 */
export function isRecordDataError(err: unknown): boolean {
  const code = sqlStateOf(err);
  return code !== undefined && (code.startsWith("22") || code.startsWith("54"));
}

/** The database's own message (the innermost error that has a code), for logs and quarantine reasons. */
export function dbErrorMessage(err: unknown): string {
  for (const e of chain(err)) if (codeOf(e) !== undefined && e instanceof Error) return e.message;
  return err instanceof Error ? err.message : String(err);
}
