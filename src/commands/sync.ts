// `sync` and `backfill`: one cycle over the flows, then exit; cli.ts maps the result to 0 / 1 / 2.
import { createSyncContext } from "../app.js";
import { refreshReportRollups } from "../db/report-rollups.js";
import { pruneRunHistory, pruneSyncPasses } from "../db/retention.js";
import { runSyncCycle } from "../sync/cycle.js";
import type { SyncObserver } from "../sync/observer.js";
import { type CycleResult, flowFailed, summarizeCycle } from "../sync/outcome.js";
import { trapStopSignals } from "../stop-signals.js";
import { syncSummaryLine } from "../sync/summary-line.js";
import { type Runtime, withDatabase } from "./runtime.js";

export interface SyncCommandOptions {
  flowIds?: string[] | undefined;
  full: boolean;
  observer?: SyncObserver;
}

/** Runs one cycle; SIGINT/SIGTERM stop it after the page being written, leaving the cursor to resume from. */
export async function runSyncCommand(rt: Runtime, opts: SyncCommandOptions): Promise<CycleResult> {
  const { config, logger } = rt;
  const stop = trapStopSignals((signal) =>
    logger.warn({ signal }, "stopping after the page being written; the next run resumes from the cursor"),
  );
  try {
    return await withDatabase(rt, config.autoMigrate, async (db) => {
      const ctx = createSyncContext(config, logger, db, opts.observer);
      const result = await runSyncCycle(ctx, { flowIds: opts.flowIds, full: opts.full, respectBackoff: false, signal: stop.signal });
      // Installs that run `sync` from cron instead of the daemon keep bounded history too.
      await pruneSyncPasses(db, config.historyDays).catch((err: Error) => logger.warn({ err: err.message }, "could not prune sync_passes"));
      await pruneRunHistory(db, config.runHistoryDays).catch((err: Error) =>
        logger.warn({ err: err.message }, "could not prune run versions"),
      );
      // Report rollups of segments quiet for two minutes (issue 26): cron-driven installs keep them current too.
      await refreshReportRollups(db, { settledMs: 120_000, budgetMs: 2_000 }).catch((err: Error) =>
        logger.warn({ err: err.message }, "could not refresh the report rollups"),
      );
      const failed = result.flows.filter((f) => f.error && flowFailed(f));
      for (const f of failed) logger.error({ flowId: f.flowId, outcome: f.outcome, err: f.error }, "flow not synced");
      for (const f of result.flows.filter((f) => f.totals.rejected > 0)) {
        // Exit stays 0 for these (README "Exit codes"): the flow synced; what Bird sent can't be stored.
        logger.warn(
          { flowId: f.flowId, rejected: f.totals.rejected },
          "invalid records quarantined in bird.sync_rejects; the flow's other runs are synced",
        );
      }
      const summary = summarizeCycle(result.flows);
      const clean = summary.completed === summary.flows && summary.rejected === 0;
      logger[clean ? "info" : "warn"]({ ...summary, durationMs: result.durationMs }, syncSummaryLine(result));
      return result;
    });
  } finally {
    stop.dispose();
  }
}
