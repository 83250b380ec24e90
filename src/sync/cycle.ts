// One sync cycle: every selected flow, SYNC_CONCURRENCY at a time. outcome.ts turns the result into an exit code.
import pLimit from "p-limit";
import { type SyncError, stopsEveryFlow } from "../errors.js";
import { flowsWithoutFullPass, recordFlowsStopped } from "../db/state.js";
import type { SyncContext } from "./context.js";
import { uniqueIds } from "../uuid.js";
import { resolveFlows } from "./discovery.js";
import { syncFlow } from "./flow-sync.js";
import { emptyProgress as zero } from "../model.js";
import type { CycleResult, FlowResult } from "./outcome.js";

export interface CycleOptions {
  flowIds?: readonly string[] | undefined;
  full: boolean;
  respectBackoff: boolean;
  signal: AbortSignal;
}

/** Writes why the flows stopped; failing to only loses that explanation, never the exit 2. */
async function recordStop(ctx: SyncContext, flowIds: readonly string[], err: SyncError): Promise<void> {
  await recordFlowsStopped(ctx.db, flowIds, ctx.owner, err.message).catch((dbErr: Error) =>
    ctx.logger.warn({ err: dbErr.message }, "could not record why the flows stopped in sync_state.last_error"),
  );
}

export async function runSyncCycle(ctx: SyncContext, opts: CycleOptions): Promise<CycleResult> {
  const started = Date.now();
  const configured = opts.flowIds?.length ? opts.flowIds : ctx.settings.approvalIds;
  const refreshMetadata = opts.full || (configured !== undefined && (await flowsWithoutFullPass(ctx.db, configured)) > 0);
  const { flowIds, foreign } = await resolveFlows(ctx, { flowIds: opts.flowIds, refreshMetadata }, opts.signal).catch(
    async (err: unknown) => {
      // Configured flows were stopped before their passes began; discovered ones are not known yet.
      if (stopsEveryFlow(err) && configured?.length) await recordStop(ctx, uniqueIds(configured), err);
      throw err;
    },
  );
  ctx.observer.cycleStarted?.(flowIds);
  // A rejected key (or an API never reached) stops every flow at once (DESIGN §5), not just the one that saw it.
  const stopAll = new AbortController();
  const signal = AbortSignal.any([opts.signal, stopAll.signal]);
  let stopError: SyncError | undefined;
  const limit = pLimit(ctx.settings.concurrency);
  const workFlow = async (flowId: string): Promise<FlowResult> => {
    if (stopError || signal.aborted) return { flowId, outcome: "interrupted", totals: zero(), durationMs: 0 };
    const result = await syncFlow(ctx, flowId, { full: opts.full, respectBackoff: opts.respectBackoff, signal });
    // A latency-bound backfill works more flows at once, up to what BIRD_MAX_RPS can serve.
    if (ctx.parallelFlows) limit.concurrency = ctx.parallelFlows(ctx.settings.concurrency);
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
  if (stopError) {
    // `status` and the page say why these flows stopped (issue 20): the one that met the rejection,
    // the ones it aborted and the ones it kept from starting.
    const stopped = settled.flatMap((r) => (r.status === "fulfilled" && r.value.outcome === "interrupted" ? [r.value.flowId] : []));
    await recordStop(ctx, stopped, stopError);
    throw stopError;
  }
  const failure = settled.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
  const flows = settled.map((r) => (r as PromiseFulfilledResult<FlowResult>).value);
  for (const f of foreign) {
    const error = `flow ${f.flowId} belongs to organization ${f.organizationId} in this database`;
    flows.push({ flowId: f.flowId, outcome: "failed", totals: zero(), durationMs: 0, error });
  }
  return { flows, durationMs: Date.now() - started };
}
