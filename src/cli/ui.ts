// `approvals-sync ui [--port N]`
import type { Command } from "commander";
import { rememberSecrets, startRuntime } from "../commands/runtime.js";
import { type Run, intArg } from "./common.js";

export function registerUi(program: Command, run: Run): void {
  program
    .command("ui")
    .description("serve the read-only status page (/ and /api/status) from the database, without syncing")
    .option("--port <n>", "port (default METRICS_PORT; 0 = any free port)", intArg(0, 65_535))
    .addHelpText(
      "after",
      "\nReads the database only: no sync, no migration, read-only sessions. Binds METRICS_HOST; STATUS_AUTH=user:password asks for a login.\n\nExample:\n  approvals-sync ui --port 8080",
    )
    .action(
      run(async (opts: { port?: number }) => {
        const rt = startRuntime({}, false);
        rememberSecrets(rt.config);
        const { runUiCommand } = await import("../commands/ui.js");
        await runUiCommand(rt, opts.port === undefined ? {} : { port: opts.port });
      }),
    );
}
