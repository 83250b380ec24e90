// Wires the parts for a command: logger, database, API client. cli.ts and daemon/ call this; nothing else.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { BirdClient, type ClientEvents } from "./bird/client.js";
import { RequestGate } from "./bird/request-gate.js";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import { openDatabase } from "./db/connect.js";
import { PgBudgetStore } from "./db/request-budget.js";
import { organizationKey } from "./uuid.js";
import type { SyncContext } from "./sync/context.js";
import type { SyncObserver } from "./sync/observer.js";

/** This process's identity in leases and pass history: readable, and unique even across restarts. */
export function processOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export async function openMigratedDatabase(config: Config, logger: Logger, migrate: boolean): Promise<Database> {
  const db = await openDatabase(config, logger, { poolSize: config.concurrency * 3 + 2 });
  if (migrate) {
    try {
      await db.migrate();
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
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
  const owner = processOwnerId();
  // BIRD_MAX_RPS=0: no cap, so no budget to share and no statement per claim.
  const budget =
    config.maxRps > 0
      ? new PgBudgetStore(
          db,
          { organizationId: organizationKey(config.organizationId), apiOrigin: new URL(config.apiUrl).origin, owner },
          logger,
        )
      : undefined;
  const gate = new RequestGate(config.maxRps, config.maxRetryAfterMs, budget);
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
  return { db, client, config, logger, owner, observer, parallelFlows: (n) => gate.parallelFlows(n) };
}
