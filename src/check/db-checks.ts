// `check` against the database: reachable, server version, migrations current, and whether this
// role may sync or only read. Opened read-only: the check changes nothing.
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { embeddedDatabaseExists, openDatabase } from "../db/connect.js";
import type { Database } from "../db/database.js";
import { type MigrationState, type Privileges, migrationState, serverVersion, syncPrivileges } from "../db/preflight.js";
import { errorMessage } from "../errors.js";
import type { Checklist } from "./report.js";

export async function runDatabaseChecks(config: Config, logger: Logger, list: Checklist, location: string): Promise<void> {
  if (!config.databaseUrl && !embeddedDatabaseExists(config.pgliteDir)) {
    list.add("database", "ok", `embedded database ${config.pgliteDir} does not exist yet: the first sync creates and migrates it`);
    return;
  }
  let db: Database | undefined;
  try {
    db = await openDatabase(config, logger, { poolSize: 2, readOnly: true });
  } catch (err) {
    list.add("database", "error", `database unreachable: ${errorMessage(err)}`);
    return;
  }
  try {
    const version = await serverVersion(db);
    list.facts.serverVersion = version;
    list.add("database", "ok", `database reachable: PostgreSQL ${version} at ${location}`);
    const m = await migrationState(db);
    const p = await syncPrivileges(db);
    list.facts.migrations = m;
    list.facts.canSync = p.canSync;
    list.facts.canMigrate = p.canMigrate;
    checkMigrations(list, m, p, config.autoMigrate);
    checkPrivileges(list, p);
  } catch (err) {
    list.add("database", "error", `database check failed: ${errorMessage(err)}`);
  } finally {
    await db.close().catch(() => undefined);
  }
}

/**
 * Issue 24: a schema `sync` will migrate is not degraded; it is when sync will not migrate it
 * (SYNC_AUTO_MIGRATE=false) or this role cannot (no CREATE on the database, not the schema's owner).
 */
function checkMigrations(list: Checklist, m: MigrationState, p: Privileges, autoMigrate: boolean): void {
  const counts = `${m.applied} of ${m.known} applied`;
  const asOwner = "run `approvals-sync migrate` as the role that owns the schema (or one with CREATE on the database)";
  if (m.applied === undefined) {
    const fine = !autoMigrate || p.canMigrate;
    list.add(
      "migrations",
      fine ? "info" : "degraded",
      `migrations: this role may not read drizzle.__drizzle_migrations, so whether the schema is current is unknown${
        fine ? "" : `; sync would try to migrate and fail: ${asOwner}, and set SYNC_AUTO_MIGRATE=false for this role`
      }`,
    );
  } else if (m.current) list.add("migrations", "ok", `migrations current (${counts})`);
  else if (!autoMigrate) {
    list.add(
      "migrations",
      "degraded",
      `migrations behind (${counts}) and SYNC_AUTO_MIGRATE=false: sync refuses this schema; run \`approvals-sync migrate\``,
    );
  } else if (p.canMigrate) {
    list.add(
      "migrations",
      "ok",
      m.applied === 0
        ? `migrations: none applied yet; will be migrated by sync (SYNC_AUTO_MIGRATE=true, ${m.known} migrations)`
        : `migrations: ${counts}; will be migrated by sync (SYNC_AUTO_MIGRATE=true)`,
    );
  } else {
    list.add("migrations", "degraded", `migrations behind (${counts}): sync needs a migration this role cannot run; ${asOwner}`);
  }
}

function checkPrivileges(list: Checklist, p: Privileges): void {
  if (p.canSync && p.canMigrate) list.add("privileges", "ok", "privileges: this role can sync and migrate");
  else if (p.canSync) {
    list.add(
      "privileges",
      "ok",
      "privileges: this role can sync (reads and writes every bird table) but cannot migrate: new versions need `approvals-sync migrate` as the schema's owner first",
    );
  } else if (!p.schemaExists) {
    list.add(
      "privileges",
      p.canCreateSchema ? "ok" : "degraded",
      p.canCreateSchema
        ? "privileges: schema bird does not exist yet; this role may create it (sync migrates first)"
        : "privileges: schema bird does not exist and this role may not create it: grant CREATE on the database, or migrate as its owner",
    );
  } else if (p.canRead) {
    list.add(
      "privileges",
      "degraded",
      `privileges: read-only — enough for ui, status and report, not for sync (no insert/update/delete on ${p.missing.map((t) => `bird.${t}`).join(", ")})`,
    );
  } else list.add("privileges", "degraded", "privileges: this role cannot read the bird tables");
}
