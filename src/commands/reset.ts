// `approvals-sync reset [--flow ID]… [--all]`
import type { Command } from "commander";
import { startRuntime, withDatabase } from "./runtime.js";
import { resolveFlowRefs } from "../db/flow-refs.js";
import { resetFlowState } from "../db/state.js";
import { CommandError } from "../errors.js";
import { type Run, flowIds } from "./common.js";
import { organizationKey } from "../uuid.js";

export function registerReset(program: Command, run: Run): void {
  program
    .command("reset")
    .description("forget cursor state so the next sync is a full pass (keeps the data)")
    .option("--flow <id>", "this flow: its id, or the start of it as status shows it (repeatable, or comma-separated)", flowIds)
    .option("--all", "every flow (with BIRD_ORGANIZATION_ID set: every flow of that organization)")
    .addHelpText("after", "\nExample:\n  approvals-sync reset --all")
    .action(
      run(async (opts: { flow?: string[]; all?: boolean }) => {
        const flows = opts.all ? "all" : opts.flow;
        if (!flows?.length) throw new CommandError("reset", "give --flow ID or --all");
        const rt = startRuntime({}, false);
        const org = rt.config.organizationId ? organizationKey(rt.config.organizationId) : undefined;
        const n = await withDatabase(rt, rt.config.autoMigrate, async (db) => {
          // Every --flow must be a known flow: an unknown one exits 2 and nothing is reset (issue 24).
          const ids = flows === "all" ? "all" : await resolveFlowRefs(db, "reset", flows, { mustExist: true, location: db.location });
          return resetFlowState(db, ids, org);
        });
        rt.logger.info({ flows: n }, "cursor state reset; the next sync runs a full pass");
      }),
    );
}
