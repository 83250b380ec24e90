// Which of this build's migrations a database has, read without writing, and migrating only when
// that says so. Issue 15 (2): `status` and `report` never migrate; they say when the schema is behind.
// Issue 24: a least-privilege writer role (read/write on the bird tables, no CREATE on the database)
// must be able to sync a schema that is current, so nothing that needs CREATE runs unless a
// migration is pending (drizzle's migrator starts with CREATE SCHEMA IF NOT EXISTS "drizzle", which
// PostgreSQL refuses without CREATE even when the schema exists).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { MigrationRightsError, SchemaBehindError } from "../errors.js";
import type { SqlRunner } from "./database.js";
import { dbErrorMessage, sqlStateOf } from "./pg-errors.js";

// migrations/ sits at the package root: two levels up from both src/db/ and dist/db/.
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

interface Journal {
  entries: Array<{ tag: string; when: number }>;
}

/** The migrations this build ships, oldest first (drizzle records each by its `when`). */
export function shippedMigrations(): Journal["entries"] {
  return (JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as Journal).entries;
}

export interface MigrationStatus {
  /** Migrations this build ships. */
  known: number;
  /** Rows in drizzle.__drizzle_migrations; undefined when this role may not read it. */
  applied: number | undefined;
  /** Shipped migrations drizzle would apply (newer than the newest applied): its own rule. */
  pending: string[];
}

/** Reads drizzle's table only: no lock, no DDL, nothing a read-only or writer role may not do. */
export async function readMigrationStatus(db: SqlRunner): Promise<MigrationStatus> {
  const shipped = shippedMigrations();
  let applied: number[];
  try {
    const rows = await db.rows<{ created_at: string }>(sql`select created_at::text from drizzle.__drizzle_migrations`);
    applied = rows.map((r) => Number(r.created_at));
  } catch (err) {
    // 3F000 no drizzle schema, 42P01 no table: never migrated. 42501: not ours to read.
    const code = sqlStateOf(err);
    if (code === "42501") return { known: shipped.length, applied: undefined, pending: shipped.map((m) => m.tag) };
    if (code !== "3F000" && code !== "42P01") throw err;
    applied = [];
  }
  const newest = Math.max(Number.NEGATIVE_INFINITY, ...applied);
  return { known: shipped.length, applied: applied.length, pending: shipped.filter((m) => m.when > newest).map((m) => m.tag) };
}

/**
 * Throws SchemaBehindError when migrations of this build are not applied. A role that may not read
 * drizzle's own table cannot tell; then the bird schema's presence is all that is checked, and the
 * commands' own queries report anything else with its cause.
 */
export async function assertSchemaCurrent(db: SqlRunner, location: string, why?: string): Promise<void> {
  const status = await readMigrationStatus(db);
  if (status.applied === undefined) return assertBirdSchema(db, location);
  if (status.pending.length === 0) return;
  const because = why ? ` (${why})` : "";
  throw new SchemaBehindError(
    status.applied === 0
      ? `the database at ${location} has no approvals-sync schema yet${because}: run \`approvals-sync migrate\` (or \`sync\`) with a role that may create schemas`
      : `the database schema at ${location} is behind this version (${status.pending.length} of ${status.known} migrations not applied: ${status.pending.join(", ")})${because}: run \`approvals-sync migrate\` with a role that may change the schema`,
  );
}

async function assertBirdSchema(db: SqlRunner, location: string): Promise<void> {
  const [row] = await db.rows<{ ok: boolean }>(sql`select to_regclass('bird.sync_state') is not null as ok`);
  if (!row?.ok) {
    throw new SchemaBehindError(
      `the database at ${location} has no approvals-sync schema: run \`approvals-sync migrate\` with a role that may create schemas`,
    );
  }
}

export interface MigrationTarget {
  location: string;
  /** Reads the migration status outside the lock. */
  reader: SqlRunner;
  /** Runs fn holding the migration lock, on the lock's connection: `runner` reads there, `apply` runs drizzle's migrator. */
  locked(fn: (conn: { runner: SqlRunner; apply: () => Promise<void> }) => Promise<void>): Promise<void>;
}

/** Migrates only when a migration is pending, re-checked under the lock (another process may have just done it). */
export async function migrateWhenBehind(t: MigrationTarget): Promise<void> {
  const before = await readMigrationStatus(t.reader);
  if (before.pending.length === 0) return;
  try {
    await t.locked(async ({ runner, apply }) => {
      if ((await readMigrationStatus(runner)).pending.length > 0) await apply();
    });
  } catch (err) {
    if (sqlStateOf(err) !== "42501") throw err;
    throw new MigrationRightsError(describeMissingRights(t.location, before, dbErrorMessage(err)), { cause: err });
  }
}

function describeMissingRights(location: string, s: MigrationStatus, cause: string): string {
  const what =
    s.applied === undefined
      ? "this role may not read drizzle.__drizzle_migrations, so it cannot tell whether the schema is current"
      : `${s.pending.length} of ${s.known} migrations ${s.pending.length === 1 ? "is" : "are"} pending (${s.pending.join(", ")}) and this role may not apply ${s.pending.length === 1 ? "it" : "them"}`;
  return `cannot migrate the database at ${location}: ${cause} (SQLSTATE 42501); ${what}. Run \`approvals-sync migrate\` once as the role that owns the schema (or one with CREATE on the database), then this role can sync; or set SYNC_AUTO_MIGRATE=false so this role never tries (sync then refuses a schema that is behind)`;
}
