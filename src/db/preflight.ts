// What `check` asks the database: its version, whether the migrations are current, and whether this
// role may sync (write the bird tables) or only read them. Read-only statements.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { MIGRATIONS_DIR } from "./connect.js";
import type { SqlRunner } from "./database.js";

// Every table a sync writes (DESIGN §4); reading them is enough for `ui`, `status` and `report`.
const SYNC_TABLES = [
  "approval_runs",
  "approval_run_history",
  "approval_flows",
  "sync_state",
  "sync_passes",
  "sync_rejects",
  "sync_seen",
] as const;

export interface MigrationState {
  /** Migrations in migrations/meta/_journal.json. */
  known: number;
  /** Applied in this database (drizzle.__drizzle_migrations). */
  applied: number;
  /** The newest known migration is applied. */
  current: boolean;
}

export interface Privileges {
  schemaExists: boolean;
  /** Every sync table: select, insert, update, delete. */
  canSync: boolean;
  /** Every sync table: select. */
  canRead: boolean;
  /** May create the schema (migrate), when it does not exist yet. */
  canCreateSchema: boolean;
  /** Tables the role may not write, when canSync is false. */
  missing: string[];
}

export async function serverVersion(db: SqlRunner): Promise<string> {
  const [row] = await db.rows<{ v: string }>(sql`select current_setting('server_version') as v`);
  return row?.v ?? "unknown";
}

function journalMillis(): number[] {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as { entries: Array<{ when: number }> };
  return journal.entries.map((e) => e.when);
}

export async function migrationState(db: SqlRunner): Promise<MigrationState> {
  const known = journalMillis();
  const [exists] = await db.rows<{ ok: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
  if (!exists?.ok) return { known: known.length, applied: 0, current: known.length === 0 };
  // drizzle records each applied migration with its journal timestamp in created_at.
  const rows = await db.rows<{ created_at: string }>(sql`select created_at::text as created_at from drizzle.__drizzle_migrations`);
  const applied = new Set(rows.map((r) => Number(r.created_at)));
  const newest = Math.max(...known);
  return { known: known.length, applied: rows.length, current: known.length === 0 || applied.has(newest) };
}

export async function syncPrivileges(db: SqlRunner): Promise<Privileges> {
  const [schema] = await db.rows<{ exists: boolean; create: boolean }>(sql`
    select to_regnamespace('bird') is not null as exists,
      has_database_privilege(current_database(), 'CREATE') as create`);
  if (!schema?.exists) {
    return { schemaExists: false, canSync: false, canRead: false, canCreateSchema: schema?.create === true, missing: [...SYNC_TABLES] };
  }
  const rows = await db.rows<{ t: string; r: boolean; w: boolean }>(sql`
    select t, has_table_privilege(c.oid, 'SELECT') as r,
      has_table_privilege(c.oid, 'INSERT') and has_table_privilege(c.oid, 'UPDATE') and has_table_privilege(c.oid, 'DELETE') as w
    from unnest(${`{${SYNC_TABLES.join(",")}}`}::text[]) as t
    left join pg_class c on c.oid = to_regclass('bird.' || t)`);
  const missing = rows.filter((r) => !r.w).map((r) => r.t);
  return {
    schemaExists: true,
    canSync: missing.length === 0 && rows.length === SYNC_TABLES.length,
    canRead: rows.every((r) => r.r),
    canCreateSchema: schema.create,
    missing,
  };
}
