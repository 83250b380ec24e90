// The engine's outcome model: what a pass, a flow and a cycle ended with, their totals, and the one
// place that turns an ending (a cycle's flows, or an error) into an exit code (DESIGN §2, issue 16).
// db/ returns facts in these shapes; cli.ts calls exitCodeOf() once; nothing else decides exit codes.
import { classifyPgError } from "../db/pg-errors.js";
import { EXIT_FATAL, EXIT_FLOW_FAILED, EXIT_OK, SyncError } from "../errors.js";

import { type PageProgress, type PassKind, addProgress, emptyProgress } from "../model.js";

export type FlowOutcome = "completed" | "failed" | "missing" | "interrupted" | "skipped-leased" | "skipped-backoff";

export interface FlowResult {
  flowId: string;
  outcome: FlowOutcome;
  kind?: PassKind;
  totals: PageProgress;
  durationMs: number;
  error?: string;
}

export interface CycleResult {
  flows: FlowResult[];
  durationMs: number;
}

/** Outcomes where the flow was not synced and someone should look (status and the log have why). */
const NOT_SYNCED: ReadonlySet<FlowOutcome> = new Set(["failed", "missing"]);
/** Outcomes that say the flow is not being synced by anyone right now. */
const FAILING: ReadonlySet<FlowOutcome> = new Set(["failed", "missing", "skipped-backoff"]);

export const flowFailed = (f: FlowResult): boolean => NOT_SYNCED.has(f.outcome);

export interface CycleSummary extends PageProgress {
  flows: number;
  completed: number;
  failed: number;
  missing: number;
  interrupted: number;
  skippedLeased: number;
  skippedBackoff: number;
}

/** The counts of a cycle's log line (`sync finished`, `cycle finished`). */
export function summarizeCycle(flows: readonly FlowResult[]): CycleSummary {
  const by = (o: FlowOutcome) => flows.filter((f) => f.outcome === o).length;
  const totals = emptyProgress();
  for (const f of flows) addProgress(totals, f.totals);
  return {
    flows: flows.length,
    completed: by("completed"),
    failed: by("failed"),
    missing: by("missing"),
    interrupted: by("interrupted"),
    skippedLeased: by("skipped-leased"),
    skippedBackoff: by("skipped-backoff"),
    ...totals,
  };
}

/** How a daemon cycle ended, as /readyz and the cycles counter see it. */
export type CycleOutcome = "ok" | "flows_failed" | "all_failed" | "error" | "interrupted";

export function cycleOutcome(flows: readonly FlowResult[], aborted: boolean): CycleOutcome {
  if (aborted) return "interrupted";
  const failing = flows.filter((f) => FAILING.has(f.outcome)).length;
  if (failing > 0 && failing === flows.length) return "all_failed";
  return flows.some(flowFailed) ? "flows_failed" : "ok";
}

export type ExitCode = typeof EXIT_OK | typeof EXIT_FLOW_FAILED | typeof EXIT_FATAL;

/** What a command ended with: nothing to report, a cycle over flows, or an error it threw. */
export type CommandEnding = undefined | { readonly flows: readonly FlowResult[] } | { readonly error: unknown };

/**
 * The exit code of a command's ending (DESIGN §2): 0 everything synced; 1 some flow failed or was
 * interrupted (the others were synced); 2 configuration, auth or database-connection error.
 */
export function exitCodeOf(ending: CommandEnding): ExitCode {
  if (ending === undefined) return EXIT_OK;
  if ("error" in ending) return isFatalError(ending.error) ? EXIT_FATAL : EXIT_FLOW_FAILED;
  // An interrupted flow resumes next time, and a flow another process holds is synced by that one:
  // either way this run did not sync it, so it is not "everything synced" (exactness rule 6).
  return ending.flows.some((f) => flowFailed(f) || f.outcome === "interrupted" || f.outcome === "skipped-leased")
    ? EXIT_FLOW_FAILED
    : EXIT_OK;
}

/** The exit code of `check`'s worst finding: 0 ok, 1 degraded, 2 error (auth, configuration, connection). */
export function checkExitCode(worst: "ok" | "degraded" | "error"): ExitCode {
  return worst === "error" ? EXIT_FATAL : worst === "degraded" ? EXIT_FLOW_FAILED : EXIT_OK;
}

/** True when nothing can go on: configuration, auth, or a database that cannot be used at all. */
export function isFatalError(err: unknown): boolean {
  if (err instanceof SyncError) return err.exitCode === EXIT_FATAL;
  return classifyPgError(err) !== undefined;
}
