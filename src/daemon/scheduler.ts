// Runs a cycle at start, then on the cron schedule, never two at once, until the signal aborts.
// node-cron's `noOverlap` blocks a tick while a *scheduled* cycle runs; the first cycle is not a cron
// execution, so our own in-flight guard covers it. Either way a skipped tick is logged and counted.
import { once } from "node:events";
import cron, { type Logger as CronLogger } from "node-cron";
import type { Logger } from "pino";
import { ConfigError } from "../errors.js";

export type CycleReason = "start" | "scheduled";

export interface ScheduleOptions {
  /** Cron expression, 5 fields or 6 with seconds first (SYNC_SCHEDULE). */
  schedule: string;
  /** Aborting stops scheduling; the returned promise settles once the in-flight cycle has. */
  signal: AbortSignal;
  logger: Logger;
  /**
   * One cycle. It gets the stop signal and should return soon after it aborts. A rejection is fatal:
   * scheduling stops and runOnSchedule rejects with it (the cycle decides what is worth dying for).
   */
  runCycle(signal: AbortSignal, reason: CycleReason): Promise<void>;
  onSkippedTick?(): void;
}

export interface ScheduleStats {
  cycles: number;
  skippedTicks: number;
}

/** Throws a ConfigError naming SYNC_SCHEDULE when node-cron would not accept the expression. */
export function assertValidSchedule(schedule: string): void {
  const fields = schedule.trim().split(/\s+/).length;
  const check = cron.validateDetailed(schedule);
  if ((fields !== 5 && fields !== 6) || !check.valid) {
    const why = check.errors[0]?.message ?? `expected 5 or 6 fields but got ${fields}`;
    throw new ConfigError(
      `invalid configuration:\n  SYNC_SCHEDULE must be a cron expression of 5 fields (or 6 with seconds first), e.g. */5 * * * * (got ${JSON.stringify(schedule)}: ${why})`,
    );
  }
}

/** node-cron logs through its own console logger unless given one; its overlap warning duplicates ours. */
function cronLogger(logger: Logger): CronLogger {
  const log = logger.child({ component: "node-cron" });
  return {
    info: (m) => log.debug(m),
    warn: (m) => log.debug(m),
    error: (m, err) => log.error({ err: err?.message ?? (m instanceof Error ? m.message : undefined) }, String(m)),
    debug: (m) => log.debug(String(m)),
  };
}

/** The cron task; returning the cycle's promise from `tick` lets noOverlap see a scheduled cycle as still running. */
function cycleTask(schedule: string, logger: Logger, tick: () => Promise<void>, onOverlap: () => void) {
  const task = cron.createTask(schedule, tick, { name: "approvals-sync-cycle", noOverlap: true, logger: cronLogger(logger) });
  task.on("execution:overlap", onOverlap);
  task.on("execution:missed", (ctx) => logger.debug({ at: ctx.date.toISOString() }, "cron tick missed (event loop was busy)"));
  return task;
}

export async function runOnSchedule(opts: ScheduleOptions): Promise<ScheduleStats> {
  assertValidSchedule(opts.schedule);
  const { logger } = opts;
  const stats: ScheduleStats = { cycles: 0, skippedTicks: 0 };
  if (opts.signal.aborted) return stats;

  // Aborted by the caller's signal, or by a cycle that failed fatally.
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  opts.signal.addEventListener("abort", stop, { once: true });
  let inFlight: Promise<void> | undefined;
  let inFlightSince = 0;
  let failure: { error: unknown } | undefined;

  const skipTick = () => {
    stats.skippedTicks++;
    opts.onSkippedTick?.();
    logger.info(
      { runningForMs: Date.now() - inFlightSince, skippedTicks: stats.skippedTicks },
      "previous cycle still running; this tick is skipped",
    );
  };

  const launch = (reason: CycleReason): Promise<void> => {
    if (stopped.signal.aborted) return Promise.resolve();
    if (inFlight) {
      skipTick();
      return Promise.resolve();
    }
    stats.cycles++;
    inFlightSince = Date.now();
    const run = opts
      .runCycle(opts.signal, reason)
      .catch((error: unknown) => {
        failure ??= { error };
        stop();
      })
      .finally(() => {
        inFlight = undefined;
      });
    inFlight = run;
    return run;
  };

  const task = cycleTask(opts.schedule, logger, () => launch("scheduled"), skipTick);
  try {
    task.start();
    void launch("start");
    if (!stopped.signal.aborted) await once(stopped.signal, "abort");
  } finally {
    // destroy() also removes the task from node-cron's process-wide registry.
    await task.destroy();
    opts.signal.removeEventListener("abort", stop);
  }
  await inFlight;
  if (failure) throw failure.error;
  return stats;
}
