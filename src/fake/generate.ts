// Deterministic dataset: an organization, its flows, and each flow's runs. Same seed => same bytes.
import { buildObject, buildPreviousObject, buildTags, COMMENTS, TEXTS } from "./payload.js";
import { mixSeed, Rng } from "./random.js";
import type {
  ApprovalFlow,
  ApprovalFlowStep,
  ApprovalRun,
  ApprovalRunDecision,
  ApprovalRunInvoker,
  DecisionResult,
  RunStatus,
} from "./types.js";

export const RUNS_EPOCH_MS = Date.UTC(2025, 0, 1);
const FLOWS_EPOCH_MS = Date.UTC(2024, 11, 1);
const DAY_MS = 86_400_000;
const OMIT = 0.1;

export interface OrgContext {
  organizationId: string;
  workspaceIds: string[];
  userIds: string[];
}

export interface RunKey {
  ms: number;
  id: string;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function buildOrgContext(seed: number, organizationId?: string): OrgContext {
  const rng = new Rng(mixSeed(seed, "org"));
  const generatedOrg = rng.uuid();
  const workspaceIds = [rng.uuid(), rng.uuid(), rng.uuid()];
  const userIds = Array.from({ length: 12 }, () => rng.uuid());
  return { organizationId: organizationId ?? generatedOrg, workspaceIds, userIds };
}

const FLOW_NAMES = ["Refund approvals 💸", "請求書の承認", "موافقات الخصم", "Contact deletion ✋", "Déploiement café ☕"];
const OBJECT_TYPES = ["invoice", "refund", "contact", "discount", "purchase-order"];
const OBJECT_ACTIONS = ["create", "update", "delete"];

export function buildFlow(seed: number, index: number, ctx: OrgContext): ApprovalFlow {
  const rng = new Rng(mixSeed(seed, "flow", index));
  const id = rng.uuid();
  const steps: ApprovalFlowStep[] = [];
  const stepCount = rng.int(1, 3);
  for (let s = 0; s < stepCount; s++) {
    const reviewers = [{ type: "user" as const, id: rng.pick(ctx.userIds) }];
    if (rng.chance(0.5)) reviewers.push({ type: "user", id: rng.pick(ctx.userIds) });
    steps.push({ type: rng.pick(["any", "all"]), reviewers, message: rng.pick(TEXTS) });
  }
  const createdMs = FLOWS_EPOCH_MS + index * DAY_MS + rng.int(0, DAY_MS - 1);
  return {
    id,
    organizationId: ctx.organizationId,
    workspaceId: rng.pick(ctx.workspaceIds),
    ownerId: rng.pick(ctx.userIds),
    name: `${FLOW_NAMES[index % FLOW_NAMES.length]} #${index + 1}`,
    description: rng.pick(TEXTS),
    objectType: rng.pick(OBJECT_TYPES),
    objectAction: rng.pick(OBJECT_ACTIONS),
    steps,
    tags: buildTags(rng),
    createdAt: iso(createdMs),
    updatedAt: iso(createdMs + rng.int(0, 3 * DAY_MS)),
  };
}

export function compareKeys(aMs: number, aKey: string, bMs: number, bKey: string): number {
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aKey < bKey ? -1 : aKey > bKey ? 1 : 0;
}

/** Creation keys ascending: gaps of 1..600000 ms, ~2% zero gaps (same-millisecond ties broken by id). */
export function buildRunKeys(rng: Rng, count: number, startMs: number): RunKey[] {
  const keys: RunKey[] = [];
  let ms = startMs;
  for (let i = 0; i < count; i++) {
    if (i > 0) ms += rng.chance(0.02) ? 0 : rng.int(1, 600_000);
    keys.push({ ms, id: rng.uuid() });
  }
  return keys.sort((a, b) => compareKeys(a.ms, a.id, b.ms, b.id));
}

export function buildDecision(rng: Rng, ctx: OrgContext, result: DecisionResult): ApprovalRunDecision {
  const reviewerId = rng.pick(ctx.userIds);
  // Key order matches the seed (reviewer, userId, result, comment) so served JSON reads naturally.
  const decision = {} as ApprovalRunDecision;
  if (!rng.chance(OMIT)) decision.reviewer = { type: "user", id: reviewerId };
  if (rng.chance(0.3)) decision.userId = reviewerId;
  decision.result = result;
  if (!rng.chance(0.3)) decision.comment = rng.pick(COMMENTS);
  return decision;
}

/** 1..3 decisions: all approved for an approved run; the last one rejected for a denied run. */
export function buildDecisions(rng: Rng, ctx: OrgContext, status: "approved" | "denied"): ApprovalRunDecision[] {
  const count = rng.int(1, 3);
  const decisions: ApprovalRunDecision[] = [];
  for (let i = 0; i < count; i++) {
    const result = status === "denied" && i === count - 1 ? "rejected" : "approved";
    decisions.push(buildDecision(rng, ctx, result));
  }
  return decisions;
}

function buildInvoker(rng: Rng, ctx: OrgContext): ApprovalRunInvoker | null {
  if (rng.chance(0.05)) return null;
  const type = rng.pick(["user", "user", "user", "accesskey", "contact"] as const);
  return { type, id: type === "user" ? rng.pick(ctx.userIds) : rng.uuid() };
}

/** One valid run. Optional fields are absent (~10% each), never null; invoker is null in ~5%. */
export function buildRun(rng: Rng, flow: ApprovalFlow, ctx: OrgContext, key: RunKey, status: RunStatus, updatedMs?: number): ApprovalRun {
  const results = status === "pending" ? [] : buildDecisions(rng, ctx, status);
  const run = { id: key.id, approvalFlowId: flow.id } as ApprovalRun;
  if (!rng.chance(OMIT)) run.organizationId = ctx.organizationId;
  if (!rng.chance(OMIT)) run.workspaceId = flow.workspaceId;
  run.status = status;
  if (!rng.chance(OMIT)) run.activeStep = status === "pending" ? rng.int(1, 2) : results.length;
  const object = buildObject(rng);
  if (!rng.chance(0.5)) run.previousObject = buildPreviousObject(rng, object);
  if (!rng.chance(OMIT)) run.object = object;
  if (!rng.chance(OMIT)) run.invoker = buildInvoker(rng, ctx);
  run.tags = buildTags(rng);
  run.results = results;
  run.createdAt = iso(key.ms);
  const defaultUpdated = status === "pending" ? key.ms + (rng.chance(0.5) ? 0 : rng.int(1, 5000)) : key.ms + rng.int(1000, 2 * DAY_MS);
  run.updatedAt = iso(Math.max(key.ms, updatedMs ?? defaultUpdated));
  return run;
}

export interface PendingShape {
  /** The newest this fraction of runs are pending. */
  pendingFraction: number;
  /** Of the older runs, this fraction are still pending too (forgotten approvals). */
  olderPendingFraction?: number;
  /** Shift the timestamps so the newest run was created a minute ago (default: from 2025-01-01). */
  endAtNow?: boolean;
}

/** A flow's generated runs, ascending by (createdAt, id), one at a time; the newest `pendingFraction` are pending. */
export function* generateFlowRuns(
  seed: number,
  flowIndex: number,
  flow: ApprovalFlow,
  ctx: OrgContext,
  count: number,
  shape: PendingShape,
): Generator<ApprovalRun> {
  const rng = new Rng(mixSeed(seed, "runs", flowIndex));
  let keys = buildRunKeys(rng, count, RUNS_EPOCH_MS);
  const last = keys.at(-1);
  if (shape.endAtNow && last) {
    const shift = Date.now() - 60_000 - last.ms;
    keys = keys.map((k) => ({ ...k, ms: k.ms + shift }));
  }
  const firstPending = count - Math.round(count * shape.pendingFraction);
  const older = shape.olderPendingFraction ?? 0;
  for (let i = 0; i < keys.length; i++) {
    const forgotten = older > 0 && i < firstPending && rng.chance(older);
    const status: RunStatus = i >= firstPending || forgotten ? "pending" : rng.chance(0.75) ? "approved" : "denied";
    yield buildRun(rng, flow, ctx, keys[i] as RunKey, status);
  }
}
