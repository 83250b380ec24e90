// `approvals-sync sync` and `approvals-sync backfill` (the same pass, forced full).
import type { Command } from "commander";
import { rememberSecrets, startRuntime } from "../commands/runtime.js";
import { runSyncCommand } from "../commands/sync.js";
import { ENV_HELP, type RecordFlags, type Run, addRecordOptions, flowIds, recordOverrides } from "./common.js";

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
