// One sync cycle: every selected flow, SYNC_CONCURRENCY at a time. The result decides the exit code.
import pLimit from "p-limit";
import { AuthError, EXIT_FLOW_FAILED, EXIT_OK } from "../errors.js";
import { flowsWithoutFullPass } from "../db/state.js";
import { emptyProgress as zero } from "./pass-totals.js";
import type { SyncContext } from "./context.js";
import { resolveFlows } from "./discovery.js";
import { type FlowResult, syncFlow } from "./flow-sync.js";

export interface CycleOptions {
  flowIds?: readonly string[] | undefined;
  full: boolean;
  respectBackoff: boolean;
  signal: AbortSignal;
}

export interface CycleResult {
  flows: FlowResult[];
  exitCode: number;
  durationMs: number;
}

export async function runSyncCycle(ctx: SyncContext, opts: CycleOptions): Promise<CycleResult> {
  const started = Date.now();
  const configured = opts.flowIds?.length ? opts.flowIds : ctx.config.approvalIds;
  const refreshMetadata = opts.full || (configured !== undefined && (await flowsWithoutFullPass(ctx.db, configured)) > 0);
  const flowIds = await resolveFlows(ctx, { flowIds: opts.flowIds, refreshMetadata }, opts.signal);
  // A rejected key stops every flow at once (DESIGN §5), not just the one that saw it.
  const stopAll = new AbortController();
  const signal = AbortSignal.any([opts.signal, stopAll.signal]);
  let authError: AuthError | undefined;
  const limit = pLimit(ctx.config.concurrency);
  const flows = await Promise.all(
    flowIds.map((flowId) =>
      limit(async (): Promise<FlowResult> => {
        if (authError || signal.aborted) return { flowId, outcome: "interrupted", totals: zero(), durationMs: 0 };
        try {
          return await syncFlow(ctx, flowId, { full: opts.full, respectBackoff: opts.respectBackoff, signal });
        } catch (err) {
          if (err instanceof AuthError) {
            authError ??= err;
            stopAll.abort(err);
            return { flowId, outcome: "interrupted", totals: zero(), durationMs: 0, error: err.message };
          }
          throw err;
        }
      }),
    ),
  );
  if (authError) throw authError;
  const failed = flows.some((f) => f.outcome === "failed" || f.outcome === "missing");
  return { flows, exitCode: failed ? EXIT_FLOW_FAILED : EXIT_OK, durationMs: Date.now() - started };
}
