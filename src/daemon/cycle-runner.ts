// One daemon cycle: the engine's runSyncCycle with backoff respected, one log line with counts, the
// metrics, and the outcome /readyz reads. A cycle's failure never stops the daemon — except a
// configuration-grade error (rejected access key) in the very first cycle: nothing was ever synced,
// so exit 2 like `sync` does, and let the operator see it at once instead of a silently useless worker.
import type { Logger } from "pino";
import { ApiUnreachableError, AuthError, SyncError, errorMessage } from "../errors.js";
import type { SyncContext } from "../sync/context.js";
import { runSyncCycle } from "../sync/cycle.js";
import { type CycleOutcome, type FlowResult, cycleOutcome, flowFailed, isFatalError, summarizeCycle } from "../sync/outcome.js";
import type { SyncMetrics } from "./metrics.js";
import type { CycleReason } from "./scheduler.js";

export interface LastCycle {
  outcome: CycleOutcome;
  finishedAt: number;
  error?: string;
}

export interface CycleRunnerOptions {
  logger: Logger;
  metrics: SyncMetrics;
  /** A sync context with a fresh API client (its request gate remembers a rejected key for good). */
  newContext(): SyncContext;
  /** After every cycle, whatever its outcome (metrics refresh). */
  afterCycle?(): Promise<void>;
}

export class CycleRunner {
  private ctx: SyncContext;
  private count = 0;
  private last: LastCycle | undefined;

  constructor(private readonly opts: CycleRunnerOptions) {
    this.ctx = opts.newContext();
  }

  get owner(): string {
    return this.ctx.owner;
  }

  get lastCycle(): LastCycle | undefined {
    return this.last;
  }

  readonly run = async (signal: AbortSignal, reason: CycleReason): Promise<void> => {
    const { logger, metrics } = this.opts;
    const cycle = ++this.count;
    const started = Date.now();
    let flows: FlowResult[] = [];
    let outcome: CycleOutcome;
    let fatal: unknown;
    try {
      const result = await runSyncCycle(this.ctx, { full: false, respectBackoff: true, signal });
      flows = result.flows;
      outcome = cycleOutcome(flows, signal.aborted);
      this.last = { outcome, finishedAt: Date.now() };
      for (const f of flows.filter(flowFailed)) {
        logger.error(
          { flowId: f.flowId, outcome: f.outcome, err: f.error },
          "flow not synced; it backs off and is retried in a later cycle",
        );
      }
      const level = outcome === "ok" || outcome === "interrupted" ? "info" : "warn";
      logger[level]({ cycle, reason, outcome, ...summarizeCycle(flows), durationMs: Date.now() - started }, "cycle finished");
    } catch (err) {
      const message = errorMessage(err);
      // Whatever breaks while shutting down (aborted requests, a pool closing) is the shutdown, not a failure.
      outcome = signal.aborted && !(err instanceof AuthError) ? "interrupted" : "error";
      this.last = { outcome, finishedAt: Date.now(), error: message };
      if (outcome === "interrupted") {
        logger.info({ cycle, reason, err: message, durationMs: Date.now() - started }, "cycle interrupted by shutdown");
      } else {
        // Only our typed errors: a database that blips during a cycle gets the next cycle, not an exit.
        // An API not reached at start is not fatal for a daemon: an outage heals, and every cycle logs it
        // (naming BIRD_API_URL) within seconds; `sync` exits 2 for it.
        if (cycle === 1 && err instanceof SyncError && isFatalError(err) && !(err instanceof ApiUnreachableError)) fatal = err;
        const what = fatal
          ? "first cycle failed on a configuration-grade error; the daemon stops"
          : "cycle failed; the daemon keeps its schedule";
        logger.error({ cycle, reason, err: message, durationMs: Date.now() - started }, what);
        if (err instanceof AuthError) this.ctx = { ...this.opts.newContext(), owner: this.ctx.owner };
      }
    }
    metrics.recordCycle(outcome, flows, Date.now() - started);
    await this.opts.afterCycle?.().catch((err) => logger.warn({ err: errorMessage(err) }, "could not refresh flow metrics"));
    if (fatal) throw fatal;
  };
}
