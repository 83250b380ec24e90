// `approvals-sync forget --flow ID… [--delete-runs]`
import type { Command } from "commander";
import { startRuntime, withDatabase } from "./runtime.js";
import { resolveFlowRefs } from "../db/flow-refs.js";
import { forgetFlow } from "../db/forget.js";
import { CommandError } from "../errors.js";
import { type Run, flowIds } from "./common.js";

export function registerForget(program: Command, run: Run): void {
  program
    .command("forget")
    .description("remove a flow's sync state, pass history and quarantine, and the flow itself (its runs stay unless --delete-runs)")
    .requiredOption(
      "--flow <id>",
      "the flow to forget: its id, or the start of it as status shows it (repeatable, or comma-separated)",
      flowIds,
    )
    .option("--delete-runs", "also delete the flow's runs from bird.approval_runs")
    .addHelpText(
      "after",
      "\nFor a flow synced by mistake (`sync --flow <wrong id>`) or gone from Bird for good. If Bird still lists it,\nor BIRD_APPROVAL_IDS names it, the next sync adds it back.\n\nExample:\n  approvals-sync forget --flow 0b6c2f9e-5a1d-4c3b-9e8f-1a2b3c4d5e6f",
    )
    .action(
      run(async (opts: { flow: string[]; deleteRuns?: boolean }) => {
        const rt = startRuntime({}, false);
        await withDatabase(rt, rt.config.autoMigrate, async (db) => {
          const flows = await resolveFlowRefs(db, "forget", opts.flow, { mustExist: false, location: db.location });
          const results = [];
          for (const flowId of flows) results.push(await forgetFlow(db, flowId, { deleteRuns: opts.deleteRuns === true }));
          for (const r of results) {
            if (!r.known) continue;
            if (r.leasedBy) continue;
            rt.logger.info(
              { flowId: r.flowId, passes: r.passes, rejects: r.rejects, runsDeleted: r.runsDeleted },
              opts.deleteRuns
                ? "flow forgotten, runs deleted"
                : "flow forgotten; its runs stay in bird.approval_runs (--delete-runs removes them)",
            );
          }
          const unknown = results.filter((r) => !r.known).map((r) => r.flowId);
          const leased = results.filter((r) => r.leasedBy);
          if (leased.length > 0) {
            throw new CommandError(
              "forget",
              `${leased.map((r) => `flow ${r.flowId} is being synced by ${r.leasedBy}`).join("; ")}: stop that process (or wait for its lease to expire) and try again`,
            );
          }
          if (unknown.length > 0)
            throw new CommandError("forget", `no flow ${unknown.join(", ")} in ${db.location} (see approvals-sync status)`);
        });
      }),
    );
}
