// `daemon`: runs until SIGTERM/SIGINT, then stops scheduling, lets the in-flight page transaction
// commit or roll back, releases leases, closes the HTTP server and the pool, and exits 0 — within
// 10 s (DESIGN §2). Docker's default stop grace period is 10 s too, hence the 9 s hard deadline.
import type { Logger } from "pino";
import { openMigratedDatabase } from "../app.js";
import { runDaemon } from "../daemon/daemon.js";
import { assertValidSchedule } from "../daemon/scheduler.js";
import { type StopSignals, trapStopSignals } from "../stop-signals.js";
import type { Runtime } from "./runtime.js";
import type { Command } from "commander";
import { rememberSecrets, startRuntime } from "./runtime.js";
import { ENV_HELP, type Run } from "./common.js";

export const SHUTDOWN_DEADLINE_MS = 9000;

interface DaemonStop extends StopSignals {
  /** Resolves when waiting any longer is wrong: a second signal, or the deadline after the first. */
  giveUp: Promise<void>;
}

function trapDaemonStop(logger: Logger, deadlineMs: number): DaemonStop {
  let deadline: NodeJS.Timeout | undefined;
  let giveUp!: () => void;
  const given = new Promise<void>((resolve) => (giveUp = resolve));
  const stop = trapStopSignals(
    (sig) => {
      logger.info({ signal: sig }, "stopping: no new cycles; the page being written commits or rolls back, then leases are released");
      deadline = setTimeout(() => {
        logger.warn(
          { deadlineMs },
          "shutdown is taking too long; exiting anyway (the open page transaction rolls back, leases expire by themselves)",
        );
        giveUp();
      }, deadlineMs);
    },
    {
      onSecond: (sig) => {
        logger.warn({ signal: sig }, "second stop signal: exiting now; held leases expire by themselves");
        giveUp();
      },
    },
  );
  return {
    signal: stop.signal,
    giveUp: given,
    dispose: () => {
      clearTimeout(deadline);
      stop.dispose();
    },
  };
}

/** Runs the daemon until a stop signal; resolves on a clean (or deadline-forced) stop. Fatal errors throw. */
export async function runDaemonCommand(rt: Runtime): Promise<void> {
  const { config, logger } = rt;
  assertValidSchedule(config.schedule);
  const stop = trapDaemonStop(logger, SHUTDOWN_DEADLINE_MS);
  const clean = (async () => {
    const db = await openMigratedDatabase(config, logger, config.autoMigrate);
    try {
      if (!stop.signal.aborted) await runDaemon({ config, logger, db, signal: stop.signal });
    } finally {
      await db.close().catch((err: Error) => logger.warn({ err: err.message }, "closing the database failed"));
    }
    logger.info("daemon stopped");
  })();
  try {
    await Promise.race([clean, stop.giveUp]);
  } finally {
    stop.dispose();
  }
}

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
