// `approvals-sync check [--json]`
import type { Command } from "commander";
import { rememberSecrets, startRuntime } from "../commands/runtime.js";
import { ENV_HELP, type RecordFlags, type Run, addRecordOptions, recordOverrides } from "./common.js";

export function registerCheck(program: Command, run: Run): void {
  addRecordOptions(
    program
      .command("check")
      .description(
        "preflight against the configured API and database: key, flows, list order, reverse, GET-by-id parity, latency, rate-limit headers, migrations, privileges",
      )
      .option("--json", "print the checklist as JSON (data only on stdout)"),
  )
    .addHelpText(
      "after",
      `${ENV_HELP}\n\nExit 0 when all is well, 1 when something is degraded, 2 on auth, configuration or connection errors. Reads only; the key is never printed.\n\nExample:\n  approvals-sync check --json | jq '.checks[] | select(.status != "ok")'`,
    )
    .action(
      run(async (opts: { json?: boolean } & RecordFlags) => {
        // The checklist is the output; logs only for problems unless LOG_LEVEL says otherwise.
        const rt = startRuntime(recordOverrides(opts), true, { LOG_LEVEL: "warn" });
        rememberSecrets(rt.config);
        const { runCheckCommand } = await import("../commands/check.js");
        await runCheckCommand(rt, { json: opts.json === true });
      }),
    );
}
