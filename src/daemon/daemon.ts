// The daemon's parts put together on an open database: metrics, the cycle runner, the health server
// and the schedule. Resolves once the signal aborted and the in-flight cycle has finished (its page
// transaction committed or rolled back, its leases released); the caller closes the database.
import type { Logger } from "pino";
import { createSyncContext, openRecorder, requestSettings } from "../app.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { refreshReportRollups } from "../db/report-rollups.js";
import { pruneRunHistory, pruneSyncPasses } from "../db/retention.js";
import { CycleRunner } from "./cycle-runner.js";
import { DaemonHealth } from "./health.js";
import { CycleRecording } from "./recording.js";
import { type HealthServer, startHealthServer } from "./http-server.js";
import { SyncMetrics } from "./metrics.js";
import { consoleRoutes } from "../ui/handler.js";
import { scheduleIntervalMs } from "../health.js";
import { organizationKey } from "../uuid.js";
import { type ScheduleStats, runOnSchedule } from "./scheduler.js";

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  db: Database;
  signal: AbortSignal;
}

// Report rollups (issue 26): segments quiet for two minutes, at most five seconds of work per cycle.
const ROLLUP_REFRESH = { settledMs: 120_000, budgetMs: 5_000 };

// The daemon prunes at most this often: the history is measured in days, cycles in minutes.
const PRUNE_EVERY_MS = 3_600_000;

/** SYNC_HISTORY_DAYS and SYNC_RUN_HISTORY_DAYS retention; a failure only delays it to a later cycle. */
async function pruneHistory(config: Config, logger: Logger, db: Database): Promise<void> {
  try {
    const pruned = await pruneSyncPasses(db, config.historyDays);
    if (pruned > 0) logger.info({ pruned, historyDays: config.historyDays }, "pruned old sync_passes rows (SYNC_HISTORY_DAYS)");
    const versions = await pruneRunHistory(db, config.runHistoryDays);
    if (versions > 0) logger.info({ versions, runHistoryDays: config.runHistoryDays }, "pruned old run versions (SYNC_RUN_HISTORY_DAYS)");
  } catch (err) {
    logger.warn({ err: (err as Error).message }, "could not prune sync_passes or run versions; retrying in a later cycle");
  }
}

async function serveHealth(
  config: Config,
  logger: Logger,
  db: Database,
  metrics: SyncMetrics,
  health: DaemonHealth,
): Promise<HealthServer | undefined> {
  if (config.metricsPort === 0) {
    logger.info("METRICS_PORT=0: no /metrics, /healthz or /readyz endpoints");
    return undefined;
  }
  return startHealthServer({
    port: config.metricsPort,
    host: config.metricsHost,
    logger,
    console: consoleRoutes(db, config),
    metrics: async () => {
      await health.beforeScrape();
      return { contentType: metrics.contentType, body: await metrics.text() };
    },
    readiness: () => health.readiness(),
  });
}

/** After each cycle: report rollups refreshed, old history pruned (hourly), flow gauges read again. */
function upkeepAfterCycle(config: Config, logger: Logger, db: Database, health: DaemonHealth): () => Promise<void> {
  let lastPruneAt = 0;
  return async () => {
    await refreshReportRollups(db, ROLLUP_REFRESH).catch((err: Error) =>
      logger.warn({ err: err.message }, "could not refresh the report rollups; retrying after the next cycle"),
    );
    if ((config.historyDays > 0 || config.runHistoryDays > 0) && Date.now() - lastPruneAt >= PRUNE_EVERY_MS) {
      lastPruneAt = Date.now();
      await pruneHistory(config, logger, db);
    }
    await health.refreshFlowGauges();
  };
}

export async function runDaemon({ config, logger, db, signal }: DaemonOptions): Promise<ScheduleStats> {
  const metrics = new SyncMetrics(scheduleIntervalMs(config.schedule));
  // The closures read `runner` only once the daemon runs, after both exist.
  const health: DaemonHealth = new DaemonHealth({
    db,
    metrics,
    logger,
    owner: () => runner.owner,
    // Another organization's flows have their own daemons (and alerts) in the same database.
    organization: organizationKey(config.organizationId),
    lastCycle: () => runner.lastCycle,
    stopping: signal,
  });
  const recorder = await openRecorder(config, logger);
  const recording = recorder && config.record ? new CycleRecording(recorder, config.record, requestSettings(config), logger) : undefined;
  const runner: CycleRunner = new CycleRunner({
    logger,
    metrics,
    newContext: () => createSyncContext(config, logger, db, metrics.observer, metrics.clientEvents, recorder),
    afterCycle: upkeepAfterCycle(config, logger, db, health),
  });

  const server = await serveHealth(config, logger, db, metrics, health);

  try {
    logger.info(
      {
        schedule: config.schedule,
        owner: runner.owner,
        flows: config.approvalIds ?? "discovered each cycle",
        concurrency: config.concurrency,
        leaseTtlMs: config.leaseTtlMs,
        fullEveryMs: config.fullEveryMs,
        database: db.location,
      },
      "daemon started: a cycle now, then on the schedule",
    );
    const stats = await runOnSchedule({
      schedule: config.schedule,
      signal,
      logger,
      runCycle: recording ? recording.wrap(runner.run, () => runner.lastCycle?.outcome) : runner.run,
      onSkippedTick: () => metrics.recordSkippedTick(),
    });
    logger.info(stats, "daemon stopped scheduling; the last cycle ended and its leases are released");
    return stats;
  } finally {
    await server?.close();
    await recording?.close();
  }
}
