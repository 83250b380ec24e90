// `approvals-sync ui [--port N] [--host ADDRESS]`
import { type Command, InvalidArgumentError } from "commander";
import { rememberSecrets, startRuntime } from "../commands/runtime.js";
import { BIND_HOST } from "../config.js";
import { type Run, intArg } from "./common.js";

const hostArg = (value: string) => {
  if (!BIND_HOST.test(value)) throw new InvalidArgumentError("must be an IP address or host name to listen on, e.g. 127.0.0.1 or 0.0.0.0");
  return value;
};

export function registerUi(program: Command, run: Run): void {
  program
    .command("ui")
    .description("serve the read-only status page (/ and /api/status) from the database, without syncing")
    .option("--port <n>", "port (default METRICS_PORT; 0 = any free port)", intArg(0, 65_535))
    .option("--host <address>", "address to listen on (default METRICS_HOST if set, else 127.0.0.1: this machine only)", hostArg)
    .addHelpText(
      "after",
      "\nReads the database only: no sync, no migration, read-only sessions. Listens on 127.0.0.1 unless --host or\nMETRICS_HOST says otherwise (--host 0.0.0.0 shares it with the network); STATUS_AUTH=user:password asks for a login.\n\nExample:\n  approvals-sync ui --port 8080",
    )
    .action(
      run(async (opts: { port?: number; host?: string }) => {
        // A one-shot page on a laptop stays local unless asked; the daemon's 0.0.0.0 is for containers.
        const rt = startRuntime(opts.host === undefined ? {} : { METRICS_HOST: opts.host }, false, { METRICS_HOST: "127.0.0.1" });
        rememberSecrets(rt.config);
        const { runUiCommand } = await import("../commands/ui.js");
        await runUiCommand(rt, opts.port === undefined ? {} : { port: opts.port });
      }),
    );
}
