// Issue 15 (2): read-only commands (status, report) must work for a reporting role that may only
// read, so they never migrate. Instead they check that the schema is at this version's migrations and
// say so (exit 2) when it is behind, rather than failing later on a missing column.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { SchemaBehindError } from "../errors.js";
import { MIGRATIONS_DIR } from "./connect.js";
import type { SqlRunner } from "./database.js";

interface Journal {
  entries: Array<{ tag: string; when: number }>;
}

/** The migrations this build ships, oldest first (drizzle records each by its `when`). */
function shippedMigrations(): Journal["entries"] {
  return (JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as Journal).entries;
}

const sqlState = (err: unknown) => (err as { code?: unknown }).code;

/**
 * Throws SchemaBehindError when migrations of this build are not applied. A role that may not read
 * drizzle's own table cannot tell; then the bird schema's presence is all that is checked, and the
 * commands' own queries report anything else with its cause.
 */
export async function assertSchemaCurrent(db: SqlRunner, location: string): Promise<void> {
  const shipped = shippedMigrations();
  let applied: Set<number>;
  try {
    const rows = await db.rows<{ created_at: string }>(sql`select created_at::text from drizzle.__drizzle_migrations`);
    applied = new Set(rows.map((r) => Number(r.created_at)));
  } catch (err) {
    // 3F000 no drizzle schema, 42P01 no table: never migrated. 42501: not ours to read.
    if (sqlState(err) === "42501") return assertBirdSchema(db, location);
    if (sqlState(err) === "3F000" || sqlState(err) === "42P01") applied = new Set();
    else throw err;
  }
  const missing = shipped.filter((m) => !applied.has(m.when));
  if (missing.length === 0) return;
  throw new SchemaBehindError(
    applied.size === 0
      ? `the database at ${location} has no approvals-sync schema yet: run \`approvals-sync migrate\` (or \`sync\`) with a role that may create schemas`
      : `the database schema at ${location} is behind this version (${missing.length} of ${shipped.length} migrations not applied: ${missing.map((m) => m.tag).join(", ")}): run \`approvals-sync migrate\` with a role that may change the schema`,
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
