// Opens the configured database: a pg Pool for DATABASE_URL, else embedded PGlite on disk.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DrizzleQueryError, is, SQL } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import type { Logger } from "pino";
import { type Config, describeDatabase } from "../config.js";
import { DatabaseConnectionError } from "../errors.js";
import type { BoundStatement, Database, SqlRunner, StatementOptions } from "./database.js";
import { isRetryableDbError } from "./pg-errors.js";
import { lockPgliteDir } from "./pglite-lock.js";
import { MIGRATIONS_DIR, migrateWhenBehind } from "./schema-version.js";

type AnyPgDatabase = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

const TX_ATTEMPTS = 5;
const CONNECT_TIMEOUT_MS = 10_000;
// Named advisory lock key, so two processes starting together migrate one after the other.
const MIGRATE_LOCK_SQL = "select pg_advisory_lock(hashtextextended('bird-approvals-sync:migrate', 0))";

/** Migrations on PostgreSQL: read-only check first, then the advisory lock on one connection. */
function migratePostgres(pool: pg.Pool, location: string, reader: SqlRunner): Promise<void> {
  return migrateWhenBehind({
    location,
    reader,
    locked: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query(MIGRATE_LOCK_SQL);
        const { migrate } = await import("drizzle-orm/node-postgres/migrator");
        const conn = drizzlePg(client);
        await fn({
          runner: runnerOf(conn as unknown as AnyPgDatabase, false),
          apply: () => migrate(conn as never, { migrationsFolder: MIGRATIONS_DIR }),
        });
      } finally {
        await client.query("select pg_advisory_unlock_all()").catch(() => undefined);
        client.release();
      }
    },
  });
}

/**
 * Drizzle wraps driver errors in a DrizzleQueryError whose message holds the whole statement and its
 * parameters (a page of runs). Callers, logs and sync_state.last_error get the driver's error instead.
 */
function driverError(err: unknown): unknown {
  if (err instanceof DrizzleQueryError && err.cause instanceof Error) return err.cause;
  return err;
}

const dialect = new PgDialect();
const statementNames = new Map<string, string>();

/** One name per distinct statement text: a connection prepares each once. */
function statementName(prefix: string, text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `${prefix}_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
    if (statementNames.size < 1000) statementNames.set(text, name);
  }
  return name;
}

function runnerOf(db: Pick<AnyPgDatabase, "execute" | "_">, prepares: boolean): SqlRunner {
  return {
    async rows<T>(query: SQL | BoundStatement, opts?: StatementOptions): Promise<T[]> {
      try {
        if (!is(query, SQL)) {
          const name = prepares && opts?.prepare ? statementName(opts.prepare, query.template) : undefined;
          const prepared = db._.session.prepareQuery({ sql: query.text, params: [...query.params] }, undefined, name, false);
          return ((await prepared.execute()) as { rows: T[] }).rows;
        }
        if (prepares && opts?.prepare) {
          const q = dialect.sqlToQuery(query);
          const prepared = db._.session.prepareQuery(q, undefined, statementName(opts.prepare, q.sql), false);
          return ((await prepared.execute()) as { rows: T[] }).rows;
        }
        const result = (await db.execute(query)) as unknown as { rows: T[] };
        return result.rows;
      } catch (err) {
        throw driverError(err);
      }
    },
  };
}

function wrap(
  kind: Database["kind"],
  location: string,
  db: AnyPgDatabase,
  close: () => Promise<void>,
  migrate: (reader: SqlRunner) => Promise<void>,
  logger: Logger,
): Database {
  const runner = runnerOf(db, kind === "postgres");
  const database: Database = {
    kind,
    location,
    migrate: () => migrate(database),
    // A single statement is atomic by itself: re-running it after a lost connection is safe.
    rows: <T>(query: SQL | BoundStatement, opts?: StatementOptions) => withRetry(logger, () => runner.rows<T>(query, opts)),
    transaction: <T>(fn: (tx: SqlRunner) => Promise<T>) =>
      withRetry(logger, () => db.transaction((tx) => fn(runnerOf(tx as unknown as AnyPgDatabase, kind === "postgres")))),
    close,
  };
  return database;
}

function hasUrlOptions(url: string): boolean {
  try {
    return new URL(url).searchParams.has("options");
  } catch {
    return false;
  }
}

/** Runs a statement or transaction again, from the start, after a retryable failure. */
async function withRetry<T>(logger: Logger, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (wrapped) {
      const err = driverError(wrapped);
      if (attempt >= TX_ATTEMPTS || !isRetryableDbError(err)) throw err;
      logger.warn({ attempt, err: (err as Error).message }, "database statement failed, retrying on a fresh connection");
      await sleep(200 * 2 ** attempt);
    }
  }
}

/** An embedded database has been created in `dir` (PGlite writes PG_VERSION first); opening one that has not creates it. */
export function embeddedDatabaseExists(dir: string): boolean {
  return existsSync(join(dir, "PG_VERSION"));
}

export interface OpenOptions {
  /** Pool size for Postgres: one writer per flow in parallel, plus state queries. */
  poolSize?: number;
  /** Every session read-only (default_transaction_read_only): `ui` and `check` must not write. */
  readOnly?: boolean;
}

const READ_ONLY_SQL = "set default_transaction_read_only = on";
// Reports and the status page must answer while someone waits (issue 26): compiling a big plan with
// JIT costs about 0.4 s and wins nothing on queries that read indexes and rollups; the sync's own
// statements are far below JIT's cost threshold either way. Options in DATABASE_URL come after, so win.
const NO_JIT = "-c jit=off";

/** Adds our startup options to the URL's: JIT off before them, read-only (when asked) after them. */
function withSessionOptions(url: string, readOnly: boolean): string {
  const u = new URL(url);
  const given = u.searchParams.get("options");
  const options = [NO_JIT, given, readOnly ? "-c default_transaction_read_only=on" : undefined].filter(Boolean);
  u.searchParams.set("options", options.join(" "));
  return u.toString();
}

export async function openDatabase(
  config: Pick<Config, "databaseUrl" | "pgliteDir">,
  logger: Logger,
  opts: OpenOptions = {},
): Promise<Database> {
  const location = describeDatabase(config);
  if (!config.databaseUrl) return openPglite(config.pgliteDir, location, logger, opts.readOnly === true);

  const pool = new pg.Pool({
    connectionString: withSessionOptions(config.databaseUrl, opts.readOnly === true),
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: "bird-approvals-sync",
    // A stuck holder must not wedge the others (pg-boss does the same per transaction). Settings
    // given in the URL (`?options=-c lock_timeout=…`) win: startup parameters would override them.
    ...(hasUrlOptions(config.databaseUrl)
      ? {}
      : { statement_timeout: 120_000, lock_timeout: 30_000, idle_in_transaction_session_timeout: 120_000 }),
  });
  // A pooled connection killed by the server (pg_terminate_backend, restart) emits here; the pool
  // drops it and the next checkout opens a fresh one. Without a listener the process would crash.
  pool.on("error", (err) => logger.warn({ err: err.message }, "idle database connection lost"));
  const connectStarted = Date.now();
  try {
    await pool.query("select 1");
  } catch (err) {
    await pool.end().catch(() => undefined);
    const timedOut = Date.now() - connectStarted >= CONNECT_TIMEOUT_MS - 100;
    const why = timedOut ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s` : (err as Error).message || (err as { code?: string }).code;
    throw new DatabaseConnectionError(
      `cannot connect to the database at ${location}: ${why} — check DATABASE_URL and that the server is up`,
      { cause: err },
    );
  }
  const db = drizzlePg(pool) as unknown as AnyPgDatabase;
  return wrap(
    "postgres",
    location,
    db,
    () => pool.end(),
    (reader) => migratePostgres(pool, location, reader),
    logger,
  );
}

async function openPglite(dir: string, location: string, logger: Logger, readOnly: boolean): Promise<Database> {
  const [{ PGlite }, { drizzle }] = await Promise.all([import("@electric-sql/pglite"), import("drizzle-orm/pglite")]);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    // e.g. EACCES in a container whose working folder belongs to root (issue 15).
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DatabaseConnectionError(
      `cannot create the embedded database folder ${dir} (${code}): set PGLITE_DIR to a writable folder, or DATABASE_URL=postgres://… to use PostgreSQL`,
      { cause: err },
    );
  }
  const unlock = lockPgliteDir(dir);
  try {
    const client = await PGlite.create(dir);
    if (readOnly) await client.exec(READ_ONLY_SQL);
    const db = drizzle(client) as unknown as AnyPgDatabase;
    logger.info(
      { dataDir: dir },
      `using the embedded database at ${dir} (set DATABASE_URL=postgres://… to use a PostgreSQL server instead)`,
    );
    // One process owns the folder (pglite-lock.ts): the lock is the process's own.
    const migrate = (reader: SqlRunner) =>
      migrateWhenBehind({
        location,
        reader,
        locked: async (fn) => {
          const { migrate: run } = await import("drizzle-orm/pglite/migrator");
          await fn({ runner: reader, apply: () => run(db as never, { migrationsFolder: MIGRATIONS_DIR }) });
        },
      });
    const close = async () => {
      try {
        await client.close();
      } finally {
        unlock();
      }
    };
    return wrap("pglite", location, db, close, migrate, logger);
  } catch (err) {
    unlock();
    throw new DatabaseConnectionError(`cannot open the embedded database at ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
