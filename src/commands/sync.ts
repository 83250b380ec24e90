// `sync` and `backfill`: one cycle over the flows, then exit 0 / 1 / 2.
import { createSyncContext } from "../app.js";
import { pruneSyncPasses } from "../db/retention.js";
import { EXIT_FLOW_FAILED } from "../errors.js";
import { runSyncCycle } from "../sync/cycle.js";
import type { SyncObserver } from "../sync/observer.js";
import { type Runtime, withDatabase } from "./runtime.js";

export interface SyncCommandOptions {
  flowIds?: string[] | undefined;
  full: boolean;
  observer?: SyncObserver;
}

/** Runs one cycle; SIGINT/SIGTERM stop it after the page being written, leaving the cursor to resume from. */
export async function runSyncCommand(rt: Runtime, opts: SyncCommandOptions): Promise<number> {
  const { config, logger } = rt;
  const controller = new AbortController();
  const stop = (signal: string) => {
    logger.warn({ signal }, "stopping after the page being written; the next run resumes from the cursor");
    controller.abort(new Error(`received ${signal}`));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    return await withDatabase(rt, config.autoMigrate, async (db) => {
      const ctx = createSyncContext(config, logger, db, opts.observer);
      const result = await runSyncCycle(ctx, { flowIds: opts.flowIds, full: opts.full, respectBackoff: false, signal: controller.signal });
      const by = (o: string) => result.flows.filter((f) => f.outcome === o).length;
      const totals = result.flows.reduce(
        (t, f) => ({ inserted: t.inserted + f.totals.inserted, updated: t.updated + f.totals.updated, rejected: t.rejected + f.totals.rejected, requests: t.requests + f.totals.requests }),
        { inserted: 0, updated: 0, rejected: 0, requests: 0 },
      );
      const summary = {
        flows: result.flows.length,
        completed: by("completed"),
        failed: by("failed"),
        missing: by("missing"),
        interrupted: by("interrupted"),
        skipped: by("skipped-leased"),
        ...totals,
        durationMs: result.durationMs,
      };
      // Installs that run `sync` from cron instead of the daemon keep bounded history too.
      await pruneSyncPasses(db, config.historyDays).catch((err: Error) => logger.warn({ err: err.message }, "could not prune sync_passes"));
      const failed = result.flows.filter((f) => f.error && (f.outcome === "failed" || f.outcome === "missing"));
      for (const f of failed) logger.error({ flowId: f.flowId, outcome: f.outcome, err: f.error }, "flow not synced");
      logger.info(summary, result.exitCode === 0 ? "sync finished" : "sync finished with failed flows");
      return summary.interrupted > 0 ? EXIT_FLOW_FAILED : result.exitCode;
    });
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
