// One sync cycle: every selected flow, SYNC_CONCURRENCY at a time. outcome.ts turns the result into an exit code.
import pLimit from "p-limit";
import { type SyncError, stopsEveryFlow } from "../errors.js";
import { flowsWithoutFullPass } from "../db/state.js";
import type { SyncContext } from "./context.js";
import { resolveFlows } from "./discovery.js";
import { syncFlow } from "./flow-sync.js";
import { type CycleResult, type FlowResult, emptyProgress as zero } from "./outcome.js";

export interface CycleOptions {
  flowIds?: readonly string[] | undefined;
  full: boolean;
  respectBackoff: boolean;
  signal: AbortSignal;
}

export async function runSyncCycle(ctx: SyncContext, opts: CycleOptions): Promise<CycleResult> {
  const started = Date.now();
  const configured = opts.flowIds?.length ? opts.flowIds : ctx.config.approvalIds;
  const refreshMetadata = opts.full || (configured !== undefined && (await flowsWithoutFullPass(ctx.db, configured)) > 0);
  const flowIds = await resolveFlows(ctx, { flowIds: opts.flowIds, refreshMetadata }, opts.signal);
  ctx.observer.cycleStarted?.(flowIds);
  // A rejected key (or an API never reached) stops every flow at once (DESIGN §5), not just the one that saw it.
  const stopAll = new AbortController();
  const signal = AbortSignal.any([opts.signal, stopAll.signal]);
  let stopError: SyncError | undefined;
  const limit = pLimit(ctx.config.concurrency);
  const workFlow = async (flowId: string): Promise<FlowResult> => {
    if (stopError || signal.aborted) return { flowId, outcome: "interrupted", totals: zero(), durationMs: 0 };
    const result = await syncFlow(ctx, flowId, { full: opts.full, respectBackoff: opts.respectBackoff, signal });
    // A latency-bound backfill works more flows at once, up to what BIRD_MAX_RPS can serve.
    if (ctx.parallelFlows) limit.concurrency = ctx.parallelFlows(ctx.config.concurrency);
    ctx.observer.flowFinished?.(flowId, result.outcome);
    return result;
  };
  // allSettled: one flow's unexpected error must not leave the others running unobserved (they would
  // go on writing after the cycle "ended"); the first such error is rethrown once every flow stopped.
  const settled = await Promise.allSettled(
    flowIds.map((flowId) =>
      limit(async (): Promise<FlowResult> => {
        try {
          return await workFlow(flowId);
        } catch (err) {
          if (stopsEveryFlow(err)) {
            stopError ??= err;
            stopAll.abort(err);
            return { flowId, outcome: "interrupted", totals: zero(), durationMs: 0, error: err.message };
          }
          throw err;
        }
      }),
    ),
  );
  ctx.observer.cycleFinished?.();
  if (stopError) throw stopError;
  const failure = settled.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
  const flows = settled.map((r) => (r as PromiseFulfilledResult<FlowResult>).value);
  return { flows, durationMs: Date.now() - started };
}
