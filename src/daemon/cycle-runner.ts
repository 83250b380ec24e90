// One daemon cycle: the engine's runSyncCycle with backoff respected, one log line with counts, the
// metrics, and the outcome /readyz reads. A cycle's failure never stops the daemon — except a
// configuration-grade error (rejected access key) in the very first cycle: nothing was ever synced,
// so exit 2 like `sync` does, and let the operator see it at once instead of a silently useless worker.
import type { Logger } from "pino";
import { AuthError, EXIT_FATAL, SyncError, errorMessage } from "../errors.js";
import type { PageProgress } from "../db/state.js";
import type { SyncContext } from "../sync/context.js";
import { runSyncCycle } from "../sync/cycle.js";
import type { FlowOutcome, FlowResult } from "../sync/flow-sync.js";
import type { CycleOutcome, SyncMetrics } from "./metrics.js";
import type { CycleReason } from "./scheduler.js";

export interface LastCycle {
  outcome: CycleOutcome;
  finishedAt: number;
  error?: string;
}

/** Outcomes that say the flow is not being synced by anyone right now. */
const FAILING: ReadonlySet<FlowOutcome> = new Set(["failed", "missing", "skipped-backoff"]);

export function cycleOutcome(flows: readonly FlowResult[], aborted: boolean): CycleOutcome {
  if (aborted) return "interrupted";
  const failing = flows.filter((f) => FAILING.has(f.outcome)).length;
  if (failing > 0 && failing === flows.length) return "all_failed";
  return flows.some((f) => f.outcome === "failed" || f.outcome === "missing") ? "flows_failed" : "ok";
}

export function summarizeFlows(flows: readonly FlowResult[]) {
  const by = (o: FlowOutcome) => flows.filter((f) => f.outcome === o).length;
  const sum = (k: keyof PageProgress) => flows.reduce((n, f) => n + f.totals[k], 0);
  return {
    flows: flows.length,
    completed: by("completed"),
    failed: by("failed"),
    missing: by("missing"),
    interrupted: by("interrupted"),
    skippedLeased: by("skipped-leased"),
    skippedBackoff: by("skipped-backoff"),
    pages: sum("pages"),
    inserted: sum("inserted"),
    updated: sum("updated"),
    unchanged: sum("unchanged"),
    rejected: sum("rejected"),
    deleted: sum("deleted"),
    requests: sum("requests"),
  };
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
      for (const f of flows.filter((f) => f.outcome === "failed" || f.outcome === "missing")) {
        logger.error({ flowId: f.flowId, outcome: f.outcome, err: f.error }, "flow not synced; it backs off and is retried in a later cycle");
      }
      const level = outcome === "ok" || outcome === "interrupted" ? "info" : "warn";
      logger[level]({ cycle, reason, outcome, ...summarizeFlows(flows), durationMs: Date.now() - started }, "cycle finished");
    } catch (err) {
      const message = errorMessage(err);
      // Whatever breaks while shutting down (aborted requests, a pool closing) is the shutdown, not a failure.
      outcome = signal.aborted && !(err instanceof AuthError) ? "interrupted" : "error";
      this.last = { outcome, finishedAt: Date.now(), error: message };
      if (outcome === "interrupted") {
        logger.info({ cycle, reason, err: message, durationMs: Date.now() - started }, "cycle interrupted by shutdown");
      } else {
        if (cycle === 1 && err instanceof SyncError && err.exitCode === EXIT_FATAL) fatal = err;
        const what = fatal ? "first cycle failed on a configuration-grade error; the daemon stops" : "cycle failed; the daemon keeps its schedule";
        logger.error({ cycle, reason, err: message, durationMs: Date.now() - started }, what);
        if (err instanceof AuthError) this.ctx = { ...this.opts.newContext(), owner: this.ctx.owner };
      }
    }
    metrics.recordCycle(outcome, flows, Date.now() - started);
    await this.opts.afterCycle?.().catch((err) => logger.warn({ err: errorMessage(err) }, "could not refresh flow metrics"));
    if (fatal) throw fatal;
  };
}
