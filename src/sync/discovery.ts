// Which flows a cycle works: --flow, else BIRD_APPROVAL_IDS, else every active flow Bird lists.
import { approvalFlowSchema, type ApprovalFlow } from "../bird/schema.js";
import { AuthError, errorMessage } from "../errors.js";
import { flowsOfOtherOrganizations, markFlowsDeletedInBird, markUnlistedFlowsMissing, upsertFlows } from "../db/flows.js";
import { ensureFlowRows } from "../db/state.js";
import { uniqueIds } from "../config.js";
import { organizationKey } from "../uuid.js";
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
    const listed = await listValidFlows(ctx, signal, "deleted");
    const deleted = await markFlowsDeletedInBird(ctx.db, listed, organizationKey(ctx.config.organizationId));
    if (deleted.length > 0) ctx.logger.warn({ flows: deleted }, "Bird lists these flows as deleted; marked missing");
  } catch (err) {
    if (err instanceof AuthError) throw err;
    ctx.logger.warn({ err: errorMessage(err) }, "could not list deleted flows; the unlisted flows stay marked missing");
  }
}

export interface FlowSelection {
  /** Explicit ids (--flow); otherwise configuration or discovery decides. */
  flowIds?: readonly string[] | undefined;
  /** Read flow names for reports even when ids are configured (first syncs, full reconciles). */
  refreshMetadata: boolean;
}

/** The flows a cycle works, and those it may not: the database records them as another organization's. */
export interface ResolvedFlows {
  flowIds: string[];
  foreign: Array<{ flowId: string; organizationId: string }>;
}

export async function resolveFlows(ctx: SyncContext, sel: FlowSelection, signal: AbortSignal): Promise<ResolvedFlows> {
  const organization = organizationKey(ctx.config.organizationId);
  const configured = sel.flowIds?.length ? sel.flowIds : ctx.config.approvalIds;
  if (configured?.length) {
    const ids = uniqueIds(configured);
    await ensureFlowRows(ctx.db, ids, organization);
    if (sel.refreshMetadata) {
      // Discovery is skipped, but names make reports readable; a failure here costs nothing else.
      try {
        const wanted = new Set(ids.map((id) => id.toLowerCase()));
        await upsertFlows(
          ctx.db,
          (await listValidFlows(ctx, signal)).filter((f) => wanted.has(f.id.toLowerCase())),
        );
      } catch (err) {
        if (err instanceof AuthError) throw err;
        ctx.logger.warn({ err: errorMessage(err) }, "could not read flow names; syncing the configured flows anyway");
      }
    }
    return ownFlows(ctx, ids, organization);
  }
  const flows = await listValidFlows(ctx, signal);
  const ids = uniqueIds(flows.map((f) => f.id));
  await upsertFlows(ctx.db, flows);
  await ensureFlowRows(ctx.db, ids, organization);
  const gone = await markUnlistedFlowsMissing(ctx.db, ids, organization);
  if (gone.length > 0) {
    ctx.logger.warn({ flows: gone }, "flows no longer listed by Bird; marked missing");
    await explainDeletedFlows(ctx, signal);
  }
  ctx.logger.info({ flows: ids.length }, "discovered approval flows");
  return ownFlows(ctx, ids, organization);
}

/** Organizations in one database never touch each other's flows (DESIGN §5 rule 10). */
async function ownFlows(ctx: SyncContext, ids: string[], organization: string): Promise<ResolvedFlows> {
  const foreign = await flowsOfOtherOrganizations(ctx.db, ids, organization);
  if (foreign.length === 0) return { flowIds: ids, foreign };
  const theirs = new Set(foreign.map((f) => f.flowId));
  for (const f of foreign) {
    ctx.logger.error(
      { flowId: f.flowId, organizationId: f.organizationId },
      `flow belongs to organization ${f.organizationId} in this database; BIRD_ORGANIZATION_ID=${ctx.config.organizationId} does not sync it`,
    );
  }
  return { flowIds: ids.filter((id) => !theirs.has(id.toLowerCase())), foreign };
}
