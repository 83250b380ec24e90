// `daemon`: runs until SIGTERM/SIGINT, then stops scheduling, lets the in-flight page transaction
// commit or roll back, releases leases, closes the HTTP server and the pool, and exits 0 — within
// 10 s (DESIGN §2). Docker's default stop grace period is 10 s too, hence the 9 s hard deadline.
import type { Logger } from "pino";
import { openMigratedDatabase } from "../app.js";
import { runDaemon } from "../daemon/daemon.js";
import { assertValidSchedule } from "../daemon/scheduler.js";
import { AbortedError, EXIT_OK } from "../errors.js";
import type { Runtime } from "./runtime.js";

export const SHUTDOWN_DEADLINE_MS = 9000;

interface StopSignals {
  /** Aborted by the first SIGTERM/SIGINT. */
  signal: AbortSignal;
  /** Resolves when waiting any longer is wrong: a second signal, or the deadline after the first. */
  giveUp: Promise<void>;
  dispose(): void;
}

function trapStopSignals(logger: Logger, deadlineMs: number): StopSignals {
  const controller = new AbortController();
  let deadline: NodeJS.Timeout | undefined;
  let giveUp!: () => void;
  const given = new Promise<void>((resolve) => (giveUp = resolve));
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warn({ signal: sig }, "second stop signal: exiting now; held leases expire by themselves");
      giveUp();
      return;
    }
    logger.info({ signal: sig }, "stopping: no new cycles; the page being written commits or rolls back, then leases are released");
    controller.abort(new AbortedError(`received ${sig}`));
    deadline = setTimeout(() => {
      logger.warn({ deadlineMs }, "shutdown is taking too long; exiting anyway (the open page transaction rolls back, leases expire by themselves)");
      giveUp();
    }, deadlineMs);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return {
    signal: controller.signal,
    giveUp: given,
    dispose: () => {
      clearTimeout(deadline);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    },
  };
}

/** Runs the daemon until a stop signal; 0 on a clean (or deadline-forced) stop. Fatal errors throw. */
export async function runDaemonCommand(rt: Runtime): Promise<number> {
  const { config, logger } = rt;
  assertValidSchedule(config.schedule);
  const stop = trapStopSignals(logger, SHUTDOWN_DEADLINE_MS);
  const clean = (async () => {
    const db = await openMigratedDatabase(config, logger, config.autoMigrate);
    try {
      if (!stop.signal.aborted) await runDaemon({ config, logger, db, signal: stop.signal });
    } finally {
      await db.close().catch((err: Error) => logger.warn({ err: err.message }, "closing the database failed"));
    }
    logger.info("daemon stopped");
    return EXIT_OK;
  })();
  try {
    return await Promise.race([clean, stop.giveUp.then(() => EXIT_OK)]);
  } finally {
    stop.dispose();
  }
}
