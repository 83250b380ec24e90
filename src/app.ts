// Wires the parts for a command: logger, database, API client. cli.ts and daemon/ call this; nothing else.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { BirdClient, type ClientEvents } from "./bird/client.js";
import { RequestGate } from "./bird/request-gate.js";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import { openDatabase } from "./db/connect.js";
import { assertSchemaCurrent } from "./db/schema-version.js";
import { type SyncContext, syncSettingsOf } from "./sync/context.js";
import type { SyncObserver } from "./sync/observer.js";

/** This process's identity in leases and pass history: readable, and unique even across restarts. */
export function processOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/**
 * Opens the database for a command that writes. It migrates first when `migrate`; otherwise
 * (SYNC_AUTO_MIGRATE=false) a schema this version cannot write is refused, exit 2 (issue 24).
 */
export async function openMigratedDatabase(config: Config, logger: Logger, migrate: boolean): Promise<Database> {
  const db = await openDatabase(config, logger, { poolSize: config.concurrency * 3 + 2 });
  try {
    if (migrate) await db.migrate();
    else await assertSchemaCurrent(db, db.location, "SYNC_AUTO_MIGRATE=false: this command does not migrate");
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

export function createSyncContext(
  config: Config,
  logger: Logger,
  db: Database,
  observer: SyncObserver = {},
  events?: ClientEvents,
): SyncContext {
  const gate = new RequestGate(config.maxRps, config.maxRetryAfterMs);
  const client = new BirdClient({
    apiUrl: config.apiUrl,
    organizationId: config.organizationId,
    accessKey: config.accessKey,
    timeoutMs: config.httpTimeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    maxRetries: config.maxRetries,
    gate,
    logger,
    ...(events ? { events } : {}),
  });
  return {
    db,
    client,
    settings: syncSettingsOf(config),
    logger,
    owner: processOwnerId(),
    observer,
    parallelFlows: (n) => gate.parallelFlows(n),
    heldFlowsWarned: new Set(),
  };
}
