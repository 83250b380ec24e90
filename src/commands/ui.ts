// `approvals-sync ui [--port N]`: the daemon's status page, served from the database alone. It never
// syncs, migrates or writes: sessions are read-only, and a missing embedded database is reported, not
// created. Runs until SIGINT/SIGTERM.
import { once } from "node:events";
import { embeddedDatabaseExists, openDatabase } from "../db/connect.js";
import { startHealthServer } from "../daemon/http-server.js";
import { ConfigError } from "../errors.js";
import { trapStopSignals } from "../stop-signals.js";
import { consoleRoutes } from "../ui/handler.js";
import type { Runtime } from "./runtime.js";
import { type Command, InvalidArgumentError } from "commander";
import { rememberSecrets, startRuntime } from "./runtime.js";
import { BIND_HOST } from "../config.js";
import { type Run, intArg } from "./common.js";

export interface UiOptions {
  /** --port; default METRICS_PORT (9464). */
  port?: number;
  /** Stops the server like a signal would (tests, demo). */
  signal?: AbortSignal;
}

export async function runUiCommand(rt: Runtime, opts: UiOptions = {}): Promise<void> {
  const { config, logger } = rt;
  if (!config.databaseUrl && !embeddedDatabaseExists(config.pgliteDir)) {
    throw new ConfigError(
      `invalid configuration:\n  no database to show: the embedded database ${config.pgliteDir} does not exist and DATABASE_URL is not set (run \`approvals-sync sync\` or \`npm run demo\` first, or set DATABASE_URL)`,
    );
  }
  const port = opts.port ?? config.metricsPort;
  const stop = trapStopSignals(() => undefined, { also: opts.signal });
  const db = await openDatabase(config, logger, { poolSize: 4, readOnly: true });
  try {
    const server = await startHealthServer({
      port,
      host: config.metricsHost,
      logger,
      console: consoleRoutes(db, config),
      portSetting: opts.port === undefined ? "METRICS_PORT" : "--port",
    });
    const shownHost = config.metricsHost === "0.0.0.0" || config.metricsHost === "::" ? "127.0.0.1" : config.metricsHost;
    process.stdout.write(
      `status page: http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${server.port}/  (read-only; Ctrl-C to stop)\n`,
    );
    if (!stop.signal.aborted) await once(stop.signal, "abort");
    await server.close();
  } finally {
    stop.dispose();
    await db.close().catch(() => undefined);
  }
}

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
