// `approvals-sync daemon`
import type { Command } from "commander";
import { rememberSecrets, startRuntime } from "../commands/runtime.js";
import { ENV_HELP, type Run } from "./common.js";

export function registerDaemon(program: Command, run: Run): void {
  program
    .command("daemon")
    .description("long-running: a cycle at start, then on SYNC_SCHEDULE; /metrics, /healthz, /readyz on METRICS_PORT")
    .addHelpText(
      "after",
      `${ENV_HELP}\n\nSIGTERM/SIGINT: no new cycles, the page being written commits or rolls back, leases are released, exit 0 within 10 s.\n\nExample:\n  SYNC_SCHEDULE="*/2 * * * *" METRICS_PORT=9464 approvals-sync daemon`,
    )
    .action(
      run(async () => {
        const rt = startRuntime({}, true);
        rememberSecrets(rt.config);
        const { runDaemonCommand } = await import("../commands/daemon.js");
        await runDaemonCommand(rt);
      }),
    );
}
