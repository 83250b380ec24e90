// Postgres errors classified by their code, never by message text (graphile-worker keeps the same kind
// of table for retryable SQLSTATEs). A classified error means the database cannot be used at all, so
// the command stops with exit 2; anything else is a failure of the work at hand.

export type PgErrorClass = "connection" | "auth" | "database-missing" | "permission" | "server-unavailable";

/** Node's socket errors: the server is not there (or not reachable) at the address DATABASE_URL names. */
const CONNECTION_ERRNOS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** SQLSTATEs (PostgreSQL Appendix A) that no retry of the same work can fix. */
const FATAL_SQLSTATES: Readonly<Record<string, PgErrorClass>> = {
  "08000": "connection", // connection_exception
  "08001": "connection", // sqlclient_unable_to_establish_sqlconnection
  "08003": "connection", // connection_does_not_exist
  "08004": "connection", // sqlserver_rejected_establishment_of_sqlconnection
  "08006": "connection", // connection_failure
  "28000": "auth", // invalid_authorization_specification (pg_hba.conf rejects the role)
  "28P01": "auth", // invalid_password
  "3D000": "database-missing", // invalid_catalog_name
  "42501": "permission", // insufficient_privilege
  "53300": "server-unavailable", // too_many_connections
  "57P01": "server-unavailable", // admin_shutdown
  "57P02": "server-unavailable", // crash_shutdown
  "57P03": "server-unavailable", // cannot_connect_now (starting up, recovery)
};

/** The class of a database error that makes the database unusable, or undefined. Follows `cause` chains. */
export function classifyPgError(err: unknown): PgErrorClass | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (CONNECTION_ERRNOS.has(code)) return "connection";
      const known = FATAL_SQLSTATES[code];
      if (known) return known;
    }
    // Node ≥ 20 tries every address of a host name and reports all of them in one AggregateError.
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) {
      const found = inner.map(classifyPgError).find((c) => c !== undefined);
      if (found) return found;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
