// Which flows a cycle works: --flow, else BIRD_APPROVAL_IDS, else every active flow Bird lists.
import { approvalFlowSchema, type ApprovalFlow } from "../bird/schema.js";
import { errorMessage, stopsEveryFlow } from "../errors.js";
import { markFlowsDeletedInBird, markUnlistedFlowsMissing, upsertFlows } from "../db/flows.js";
import { ensureFlowRows } from "../db/state.js";
import { uniqueIds } from "../config.js";
import type { SyncContext } from "./context.js";

async function listValidFlows(ctx: SyncContext, signal: AbortSignal, status: "active" | "deleted" = "active"): Promise<ApprovalFlow[]> {
  const raw = await ctx.client.listFlows({ signal }, 100, status);
  const flows: ApprovalFlow[] = [];
  for (const r of raw) {
    const parsed = approvalFlowSchema.safeParse(r);
    // The id stays as Bird sent it: requests about the flow use it (the database keys on its uuid).
    if (parsed.success) flows.push(parsed.data);
    else ctx.logger.warn({ issue: parsed.error.issues[0]?.message }, "skipping a flow the API listed without a valid id");
  }
  return flows;
}

/**
 * Asks Bird which flows it lists as deleted, only when a known flow just went unlisted, so a cycle
 * without such a change costs no extra request. A failure here only loses the explanation.
 */
async function explainDeletedFlows(ctx: SyncContext, signal: AbortSignal): Promise<void> {
  try {
    const deleted = await markFlowsDeletedInBird(ctx.db, await listValidFlows(ctx, signal, "deleted"));
    if (deleted.length > 0) ctx.logger.warn({ flows: deleted }, "Bird lists these flows as deleted; marked missing");
  } catch (err) {
    if (stopsEveryFlow(err)) throw err;
    ctx.logger.warn({ err: errorMessage(err) }, "could not list deleted flows; the unlisted flows stay marked missing");
  }
}

export interface FlowSelection {
  /** Explicit ids (--flow); otherwise configuration or discovery decides. */
  flowIds?: readonly string[] | undefined;
  /** Read flow names for reports even when ids are configured (first syncs, full reconciles). */
  refreshMetadata: boolean;
}

export async function resolveFlows(ctx: SyncContext, sel: FlowSelection, signal: AbortSignal): Promise<string[]> {
  const configured = sel.flowIds?.length ? sel.flowIds : ctx.config.approvalIds;
  if (configured?.length) {
    const ids = uniqueIds(configured);
    await ensureFlowRows(ctx.db, ids);
    if (sel.refreshMetadata) {
      // Discovery is skipped, but names make reports readable; a failure here costs nothing else.
      try {
        const wanted = new Set(ids.map((id) => id.toLowerCase()));
        await upsertFlows(
          ctx.db,
          (await listValidFlows(ctx, signal)).filter((f) => wanted.has(f.id.toLowerCase())),
        );
      } catch (err) {
        if (stopsEveryFlow(err)) throw err;
        ctx.logger.warn({ err: errorMessage(err) }, "could not read flow names; syncing the configured flows anyway");
      }
    }
    return ids;
  }
  const flows = await listValidFlows(ctx, signal);
  const ids = uniqueIds(flows.map((f) => f.id));
  await upsertFlows(ctx.db, flows);
  await ensureFlowRows(ctx.db, ids);
  const gone = await markUnlistedFlowsMissing(ctx.db, ids);
  if (gone.length > 0) {
    ctx.logger.warn({ flows: gone }, "flows no longer listed by Bird; marked missing");
    await explainDeletedFlows(ctx, signal);
  }
  ctx.logger.info({ flows: ids.length }, "discovered approval flows");
  return ids;
}
