// What `check` asks the database: its version, whether the migrations are current, and whether this
// role may sync (write the bird tables) or only read them. Read-only statements.
import { sql } from "drizzle-orm";
import type { SqlRunner } from "./database.js";
import { readMigrationStatus } from "./schema-version.js";

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
  /** Applied in this database (drizzle.__drizzle_migrations); undefined when this role may not read it. */
  applied: number | undefined;
  /** Shipped migrations not applied yet (all of them when `applied` is unknown). */
  pending: string[];
  /** Nothing pending, as far as this role can read. */
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
  /**
   * May run a migration: CREATE on the database (drizzle's migrator always issues CREATE SCHEMA IF NOT
   * EXISTS), membership in the owner of schema bird, and INSERT on drizzle's table where they exist.
   */
  canMigrate: boolean;
  /** Tables the role may not write, when canSync is false. */
  missing: string[];
}

export async function serverVersion(db: SqlRunner): Promise<string> {
  const [row] = await db.rows<{ v: string }>(sql`select current_setting('server_version') as v`);
  return row?.v ?? "unknown";
}

export async function migrationState(db: SqlRunner): Promise<MigrationState> {
  const s = await readMigrationStatus(db);
  return { known: s.known, applied: s.applied, pending: s.pending, current: s.applied !== undefined && s.pending.length === 0 };
}

export async function syncPrivileges(db: SqlRunner): Promise<Privileges> {
  const [schema] = await db.rows<{ exists: boolean; create: boolean; migrate: boolean }>(sql`
    select to_regnamespace('bird') is not null as exists,
      has_database_privilege(current_database(), 'CREATE') as create,
      has_database_privilege(current_database(), 'CREATE')
        and coalesce((select pg_has_role(nspowner, 'USAGE') from pg_namespace where nspname = 'bird'), true)
        and coalesce(has_table_privilege(to_regclass('drizzle.__drizzle_migrations'), 'INSERT'), true) as migrate`);
  const canMigrate = schema?.migrate === true;
  if (!schema?.exists) {
    const canCreateSchema = schema?.create === true;
    return { schemaExists: false, canSync: false, canRead: false, canCreateSchema, canMigrate, missing: [...SYNC_TABLES] };
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
    canMigrate,
    missing,
  };
}
