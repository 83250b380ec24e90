// Wires the parts for a command: logger, database, API client. cli.ts and daemon/ call this; nothing else.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { BirdClient, type ClientEvents } from "./bird/client.js";
import { FileRecorder, type Recorder } from "./bird/recorder.js";
import { RequestGate } from "./bird/request-gate.js";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import { ConfigError, errorMessage } from "./errors.js";
import { openDatabase } from "./db/connect.js";
import { assertSchemaCurrent } from "./db/schema-version.js";
import { PgBudgetStore } from "./db/request-budget.js";
import { organizationKey } from "./uuid.js";
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
  recorder?: Recorder,
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
    recorder,
  });
  return {
    db,
    client,
    settings: syncSettingsOf(config),
    logger,
    owner,
    observer,
    parallelFlows: (n) => gate.parallelFlows(n),
    heldFlowsWarned: new Set(),
  };
}

/**
 * The settings that decide which requests a command makes, as the variables that set them, so a replay
 * can run it the same way. Never a secret, the API's address, or the database.
 */
export function requestSettings(config: Config): Record<string, string> {
  return {
    BIRD_ORGANIZATION_ID: config.organizationId,
    ...(config.approvalIds ? { BIRD_APPROVAL_IDS: config.approvalIds.join(",") } : {}),
    SYNC_PAGE_SIZE: String(config.pageSize),
    SYNC_CONCURRENCY: String(config.concurrency),
    SYNC_TWO_ENDED_PAGES: String(config.twoEndedPages),
    SYNC_RECHECK_FACTOR: String(config.recheckFactor),
    ...(config.maxRequestsPerHour ? { SYNC_MAX_REQUESTS_PER_HOUR: String(config.maxRequestsPerHour) } : {}),
    SYNC_FULL_EVERY: `${config.fullEveryMs}ms`,
    SYNC_MAX_RETRIES: String(config.maxRetries),
    HTTP_TIMEOUT_MS: String(config.httpTimeoutMs),
  };
}

/** Opens the configured recording file, or says which setting names a file that cannot be written. */
export async function openRecorder(config: Config, logger: Logger): Promise<FileRecorder | undefined> {
  if (!config.record) return undefined;
  try {
    const recorder = await FileRecorder.open({
      file: config.record.file,
      apiUrl: config.apiUrl,
      accessKey: config.accessKey,
      redact: config.record.redact,
      logger,
    });
    logger.info({ file: config.record.file, redact: config.record.redact }, "recording every request to Bird and its answer");
    return recorder;
  } catch (err) {
    throw new ConfigError(`--record (SYNC_RECORD_FILE) ${config.record.file} cannot be written: ${errorMessage(err)}`);
  }
}
