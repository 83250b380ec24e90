// Which flows a cycle works: --flow, else BIRD_APPROVAL_IDS, else every active flow Bird lists.
import { approvalFlowSchema, type ApprovalFlow, recordUuid } from "../bird/schema.js";
import { errorMessage, stopsEveryFlow } from "../errors.js";
import { flowsOfOtherOrganizations, markFlowsDeletedInBird, markUnlistedFlowsMissing, upsertFlows } from "../db/flows.js";
import { ensureFlowRows } from "../db/state.js";
import { organizationKey, uniqueIds } from "../uuid.js";
import type { SyncContext } from "./context.js";

async function listValidFlows(ctx: SyncContext, signal: AbortSignal, status: "active" | "deleted" = "active"): Promise<ApprovalFlow[]> {
  const byUuid = new Map<string, ApprovalFlow>();
  const copies = new Map<string, string[]>();
  for (const raw of await ctx.client.listFlows({ signal }, 100, status)) {
    const flow = readFlow(ctx, raw);
    if (!flow) continue;
    // Flows are keyed by their uuid (issue 20): a flow listed twice, or in two spellings (offset-paged
    // lists repeat records), is one flow, and the first copy's spelling is the one requests use.
    const key = flow.id.toLowerCase();
    if (!byUuid.has(key)) byUuid.set(key, flow);
    const listed = copies.get(key);
    if (listed) listed.push(flow.id);
    else copies.set(key, [flow.id]);
  }
  for (const [key, listed] of copies) {
    if (listed.length < 2) continue;
    ctx.logger.warn(
      { flowId: byUuid.get(key)!.id, times: listed.length, spellings: [...new Set(listed)] },
      "Bird listed this flow more than once; it is synced once, under the first spelling listed",
    );
  }
  return [...byUuid.values()];
}

/**
 * A listed flow as discovery keeps it. Only the id must be valid (DESIGN §1: the rest is optional), so
 * metadata that fails its schema is dropped field by field and the flow is still synced; a record
 * without a uuid id is skipped. Either is a warning, never a failed discovery.
 */
function readFlow(ctx: SyncContext, raw: unknown): ApprovalFlow | undefined {
  const parsed = approvalFlowSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const id = recordUuid(raw) && (raw as { id: string }).id;
  if (!id) {
    const given = raw !== null && typeof raw === "object" ? (raw as { id?: unknown }).id : raw;
    ctx.logger.warn(
      { id: typeof given === "string" ? given.slice(0, 200) : (given ?? null) },
      "skipping a flow the API listed without a valid id",
    );
    return undefined;
  }
  const flow: Record<string, unknown> = { id };
  const dropped: string[] = [];
  for (const [field, schema] of Object.entries(approvalFlowSchema.shape)) {
    if (field === "id" || !(field in (raw as object))) continue;
    const value = (raw as Record<string, unknown>)[field];
    if (schema.safeParse(value).success) flow[field] = value;
    else dropped.push(field);
  }
  ctx.logger.warn({ flowId: id, fields: dropped }, "flow metadata Bird listed is not valid; the flow is synced without those fields");
  return flow as ApprovalFlow;
}

/**
 * Asks Bird which flows it lists as deleted, only when a known flow just went unlisted, so a cycle
 * without such a change costs no extra request. A failure here only loses the explanation.
 */
async function explainDeletedFlows(ctx: SyncContext, signal: AbortSignal): Promise<void> {
  try {
    const listed = await listValidFlows(ctx, signal, "deleted");
    const deleted = await markFlowsDeletedInBird(ctx.db, listed, organizationKey(ctx.settings.organizationId));
    if (deleted.length > 0) ctx.logger.warn({ flows: deleted }, "Bird lists these flows as deleted; marked missing");
  } catch (err) {
    if (stopsEveryFlow(err)) throw err;
    ctx.logger.warn({ err: errorMessage(err) }, "could not list deleted flows; the unlisted flows stay marked missing");
  }
}

/** Flow metadata for reports; what PostgreSQL refuses of it (a NUL in a name) costs only that metadata. */
async function storeFlows(ctx: SyncContext, flows: readonly ApprovalFlow[]): Promise<void> {
  for (const { id, reason } of await upsertFlows(ctx.db, flows)) {
    ctx.logger.warn({ flowId: id, reason }, "PostgreSQL cannot store this flow's metadata; the flow is synced without it");
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
  const organization = organizationKey(ctx.settings.organizationId);
  const configured = sel.flowIds?.length ? sel.flowIds : ctx.settings.approvalIds;
  if (configured?.length) {
    const ids = uniqueIds(configured);
    await ensureFlowRows(ctx.db, ids, organization);
    if (sel.refreshMetadata) {
      // Discovery is skipped, but names make reports readable; a failure here costs nothing else.
      try {
        const wanted = new Set(ids.map((id) => id.toLowerCase()));
        await storeFlows(
          ctx,
          (await listValidFlows(ctx, signal)).filter((f) => wanted.has(f.id.toLowerCase())),
        );
      } catch (err) {
        if (stopsEveryFlow(err)) throw err;
        ctx.logger.warn({ err: errorMessage(err) }, "could not read flow names; syncing the configured flows anyway");
      }
    }
    return ownFlows(ctx, ids, organization);
  }
  const flows = await listValidFlows(ctx, signal);
  const ids = uniqueIds(flows.map((f) => f.id));
  await storeFlows(ctx, flows);
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
      `flow belongs to organization ${f.organizationId} in this database; BIRD_ORGANIZATION_ID=${ctx.settings.organizationId} does not sync it`,
    );
  }
  return { flowIds: ids.filter((id) => !theirs.has(id.toLowerCase())), foreign };
}
