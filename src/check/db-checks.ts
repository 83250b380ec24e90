// `check` against the database: reachable, server version, migrations current, and whether this
// role may sync or only read. Opened read-only: the check changes nothing.
import { existsSync } from "node:fs";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { openDatabase } from "../db/connect.js";
import type { Database } from "../db/database.js";
import { migrationState, serverVersion, syncPrivileges } from "../db/preflight.js";
import { errorMessage } from "../errors.js";
import type { Checklist } from "./report.js";

export async function runDatabaseChecks(config: Config, logger: Logger, list: Checklist, location: string): Promise<void> {
  if (!config.databaseUrl && !existsSync(config.pgliteDir)) {
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
    list.facts.migrations = m;
    list.add(
      "migrations",
      m.current ? "ok" : "degraded",
      m.current
        ? `migrations current (${m.applied} of ${m.known} applied)`
        : `migrations behind: ${m.applied} of ${m.known} applied — run \`approvals-sync migrate\` (sync and daemon migrate first unless SYNC_AUTO_MIGRATE=false)`,
    );
    const p = await syncPrivileges(db);
    list.facts.canSync = p.canSync;
    if (p.canSync) list.add("privileges", "ok", "privileges: this role can sync (reads and writes every bird table)");
    else if (!p.schemaExists) {
      list.add(
        "privileges",
        p.canCreateSchema ? "ok" : "degraded",
        p.canCreateSchema
          ? "privileges: schema bird does not exist yet; this role may create it (migrate)"
          : "privileges: schema bird does not exist and this role may not create it: grant CREATE on the database, or migrate as its owner",
      );
    } else if (p.canRead) {
      list.add(
        "privileges",
        "degraded",
        `privileges: read-only — enough for ui, status and report, not for sync (no insert/update/delete on ${p.missing.map((t) => `bird.${t}`).join(", ")})`,
      );
    } else list.add("privileges", "degraded", "privileges: this role cannot read the bird tables");
  } catch (err) {
    list.add("database", "error", `database check failed: ${errorMessage(err)}`);
  } finally {
    await db.close().catch(() => undefined);
  }
}
