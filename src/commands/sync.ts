// `sync` and `backfill`: one cycle over the flows, then exit; cli.ts maps the result to 0 / 1 / 2.
import { createSyncContext } from "../app.js";
import type { Database } from "../db/database.js";
import { knownFlowIds, resolveFlowRefs } from "../db/flow-refs.js";
import { forgetFlow } from "../db/forget.js";
import { refreshReportRollups } from "../db/report-rollups.js";
import { pruneRunHistory, pruneSyncPasses } from "../db/retention.js";
import { runSyncCycle } from "../sync/cycle.js";
import type { SyncObserver } from "../sync/observer.js";
import { type CycleResult, type FlowResult, flowFailed, summarizeCycle } from "../sync/outcome.js";
import { trapStopSignals } from "../stop-signals.js";
import { syncSummaryLine } from "../sync/summary-line.js";
import type { Recorder } from "../bird/recorder.js";
import { withRecording } from "./recording.js";
import { type Runtime, withDatabase } from "./runtime.js";
import type { Command } from "commander";
import { rememberSecrets, startRuntime } from "./runtime.js";
import { ENV_HELP, type RecordFlags, type Run, addRecordOptions, flowIds, recordOverrides } from "./common.js";

export interface SyncCommandOptions {
  /** `--flow` values: whole ids, or unique starts of known ones. */
  flowIds?: string[] | undefined;
  full: boolean;
  observer?: SyncObserver;
  /** For messages: sync or backfill. */
  command?: string;
}

/** Runs one cycle; SIGINT/SIGTERM stop it after the page being written, leaving the cursor to resume from. */
export async function runSyncCommand(rt: Runtime, opts: SyncCommandOptions): Promise<CycleResult> {
  const { logger } = rt;
  const stop = trapStopSignals((signal) =>
    logger.warn({ signal }, "stopping after the page being written; the next run resumes from the cursor"),
  );
  const args = opts.full ? (opts.command === "backfill" ? ["backfill"] : ["sync", "--full"]) : ["sync"];
  try {
    return await withRecording(rt, args, (recorder) => syncOnce(rt, opts, stop.signal, recorder));
  } finally {
    stop.dispose();
  }
}

async function syncOnce(rt: Runtime, opts: SyncCommandOptions, signal: AbortSignal, recorder: Recorder | undefined): Promise<CycleResult> {
  const { config, logger } = rt;
  return withDatabase(rt, config.autoMigrate, async (db) => {
    const flowIds =
      opts.flowIds && (await resolveFlowRefs(db, opts.command ?? "sync", opts.flowIds, { mustExist: false, location: db.location }));
    const knownBefore = flowIds && (await knownFlowIds(db, flowIds));
    const ctx = createSyncContext(config, logger, db, opts.observer, undefined, recorder);
    const result = await runSyncCycle(ctx, { flowIds, full: opts.full, respectBackoff: false, signal });
    if (knownBefore) await forgetGhosts(rt, db, result.flows, knownBefore);
    await keepTablesBounded(rt, db);
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
}

/** Installs that run `sync` from cron instead of the daemon keep bounded history and current rollups too. */
async function keepTablesBounded(rt: Runtime, db: Database): Promise<void> {
  const { config, logger } = rt;
  await pruneSyncPasses(db, config.historyDays).catch((err: Error) => logger.warn({ err: err.message }, "could not prune sync_passes"));
  await pruneRunHistory(db, config.runHistoryDays).catch((err: Error) => logger.warn({ err: err.message }, "could not prune run versions"));
  // Report rollups of segments quiet for two minutes (issue 26).
  await refreshReportRollups(db, { settledMs: 120_000, budgetMs: 2_000 }).catch((err: Error) =>
    logger.warn({ err: err.message }, "could not refresh the report rollups"),
  );
}

/**
 * Issue 24: `sync --flow <an id that is no flow>` left a "missing" flow behind in status, report
 * summary and health. A flow this database did not know before the run, and that Bird answers 404
 * for, is removed again; a known flow that 404s stays, marked missing, for `forget` to remove.
 */
async function forgetGhosts(rt: Runtime, db: Database, flows: readonly FlowResult[], knownBefore: ReadonlySet<string>): Promise<void> {
  for (const f of flows) {
    if (f.outcome !== "missing" || knownBefore.has(f.flowId.toLowerCase())) continue;
    const forgotten = await forgetFlow(db, f.flowId, { deleteRuns: false }).catch((err: Error) => {
      rt.logger.warn({ flowId: f.flowId, err: err.message }, "could not remove the flow that Bird does not have");
      return undefined;
    });
    if (forgotten?.known) {
      rt.logger.error({ flowId: f.flowId }, `Bird has no flow ${f.flowId} (HTTP 404): check the id; nothing was kept for it`);
    }
  }
}

interface SyncFlags extends RecordFlags {
  flow?: string[];
  full?: boolean;
  progress?: boolean;
}

const syncAction = (run: Run, full: boolean) =>
  run(async (opts: SyncFlags) => {
    const rt = startRuntime(recordOverrides(opts), true);
    rememberSecrets(rt.config);
    const observer =
      opts.progress === false
        ? undefined
        : await (await import("../progress/observer.js")).progressObserver(rt.logger, process.stderr, rt.terminal);
    return runSyncCommand(rt, {
      flowIds: opts.flow,
      full: full || opts.full === true,
      command: full ? "backfill" : "sync",
      ...(observer ? { observer } : {}),
    });
  });

export function registerSync(program: Command, run: Run): void {
  addRecordOptions(
    program
      .command("sync")
      .description("one pass over the flows, then exit (backfill first time, incremental after)")
      .option("--flow <id>", "only this flow: its id, or the start of it as status shows it (repeatable, or comma-separated)", flowIds)
      .option("--full", "force a full reconcile: re-read every page and mark deleted runs")
      .option("--no-progress", "no progress bars or progress log lines"),
  )
    .addHelpText("after", `${ENV_HELP}\n\nExample:\n  approvals-sync sync --flow 0b6c…e1 --full`)
    .action(syncAction(run, false));

  addRecordOptions(
    program
      .command("backfill")
      .description("full reconcile of every flow (same as sync --full)")
      .option("--flow <id>", "only this flow: its id, or the start of it as status shows it (repeatable, or comma-separated)", flowIds)
      .option("--no-progress", "no progress bars or progress log lines"),
  )
    .addHelpText("after", `${ENV_HELP}\n\nExample:\n  approvals-sync backfill`)
    .action(syncAction(run, true));
}
