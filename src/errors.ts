// One error model (STYLE.md): typed errors carry the exit code they map to; cli.ts maps them once.

export const EXIT_OK = 0;
export const EXIT_FLOW_FAILED = 1;
export const EXIT_FATAL = 2;

export class SyncError extends Error {
  readonly exitCode: number = EXIT_FLOW_FAILED;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad or missing setting; names the variable and the accepted form, never a secret's value. */
export class ConfigError extends SyncError {
  override readonly exitCode = EXIT_FATAL;
}

/** Bird rejected the access key (401/403): nothing else can succeed, stop everything. */
export class AuthError extends SyncError {
  override readonly exitCode = EXIT_FATAL;
}

/**
 * Bird could not be connected to at all (DNS, refused, TLS) before it ever answered in this process:
 * most likely a wrong BIRD_API_URL. Like a rejected key, no flow can succeed.
 */
export class ApiUnreachableError extends SyncError {
  override readonly exitCode = EXIT_FATAL;
}

/** Errors after which no flow can succeed, so every flow stops at once (DESIGN §5). */
export function stopsEveryFlow(err: unknown): err is AuthError | ApiUnreachableError {
  return err instanceof AuthError || err instanceof ApiUnreachableError;
}

/**
 * A command cannot run as asked (a bad flag value, a database without the views it reads). cli.ts
 * prints it as `approvals-sync <command>: <message>`.
 */
export class CommandError extends SyncError {
  override readonly exitCode = EXIT_FATAL;
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `check` found problems; its checklist is already printed. Carries 1 when something is degraded,
 * 2 on auth, configuration or connection errors (DESIGN §2).
 */
export class PreflightError extends SyncError {
  constructor(
    override readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The database cannot be reached at start. */
export class DatabaseConnectionError extends SyncError {
  override readonly exitCode = EXIT_FATAL;
}

/** The database's schema is older than this version's migrations, and this command may not migrate. */
export class SchemaBehindError extends SyncError {
  override readonly exitCode = EXIT_FATAL;
}

/** A migration is pending and this role may not apply it (SQLSTATE 42501): the message names the fix. */
export class MigrationRightsError extends SyncError {
  override readonly exitCode = EXIT_FATAL;
}

/** The flow answered 404: marked missing, the other flows go on. */
export class FlowNotFoundError extends SyncError {}

/** The API rejected a stored page token (400 or expired): the flow's pass restarts from page one. */
export class PageTokenRejectedError extends SyncError {}

/** The API answered with the page token it was called with, or otherwise would page forever. */
export class PagingLoopError extends SyncError {}

/** A request failed in a way worth retrying (network, timeout, bad body, 408/429/5xx). */
export class RetryableHttpError extends SyncError {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** Minimum wait before any request to this API, from Retry-After. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request failed in a way that retrying cannot fix (400 not about a token, other 4xx). */
export class HttpError extends SyncError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Bird asked to wait (Retry-After) longer than SYNC_MAX_RETRY_AFTER: the pass ends instead of holding
 * the process, and every request until `until` (ms since the epoch) fails the same way without being sent.
 */
export class RateLimitedError extends SyncError {
  constructor(
    message: string,
    readonly until: number,
  ) {
    super(message);
  }
}

/** Another process took this flow's lease: stop working it without writing. */
export class LeaseLostError extends SyncError {}

/** The run was asked to stop (SIGTERM/SIGINT). */
export class AbortedError extends SyncError {}

export function isAbortError(err: unknown): boolean {
  return (
    err instanceof AbortedError || (err instanceof Error && (err.name === "AbortError" || (err as { code?: string }).code === "ABORT_ERR"))
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
