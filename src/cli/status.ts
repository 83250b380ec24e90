// `approvals-sync status [--json]`
import type { Command } from "commander";
import { startRuntime, withReadOnlyDatabase } from "../commands/runtime.js";
import { readFlowStatuses } from "../db/status.js";
import { formatStatusTable } from "../status.js";
import { organizationKey } from "../uuid.js";
import type { Run } from "./common.js";

export function registerStatus(program: Command, run: Run): void {
  program
    .command("status")
    .description("per flow: mode, last pass, rows, cursor, list order and reverse support, lease, last error, lag")
    .option("--json", "print JSON (data only on stdout)")
    .option("--org <id>", "only the flows of this organization (a database may hold several)")
    .addHelpText("after", "\nExample:\n  approvals-sync status --json | jq '.[] | {flowId, lagSeconds}'")
    .action(
      run(async (opts: { json?: boolean; org?: string }) => {
        const rt = startRuntime({}, false);
        const organization = opts.org === undefined ? undefined : organizationKey(opts.org);
        const flows = await withReadOnlyDatabase(rt, "status", (db) => readFlowStatuses(db, organization));
        process.stdout.write(opts.json ? `${JSON.stringify(flows, null, 2)}\n` : formatStatusTable(flows));
      }),
    );
}
