// The fake's data and the mutation helpers tests use to change "upstream" between syncs.
// Mutations draw from their own seeded stream and a logical clock, so a scripted scenario is reproducible.
import { type Entry, recordOf } from "./entries.js";
import { entryRun, FakeFlow, runEntry } from "./fake-flow.js";
import {
  type OrgContext,
  type PendingShape,
  buildDecision,
  buildFlow,
  buildOrgContext,
  buildRun,
  generateFlowRuns,
  iso,
} from "./generate.js";
import { mixSeed, Rng } from "./random.js";
import type { ApprovalFlow, ApprovalRun, RunStatus } from "./types.js";

export class FakeStoreError extends Error {
  constructor(
    readonly code: "NotFound" | "InvalidArgument",
    message: string,
  ) {
    super(message);
    this.name = "FakeStoreError";
  }
}

export interface StoreOptions {
  seed: number;
  flows: number;
  runsPerFlow: number;
  pendingFraction: number;
  olderPendingFraction?: number | undefined;
  endAtNow?: boolean | undefined;
  organizationId?: string;
}

export class FakeStore {
  readonly organizationId: string;
  private readonly seed: number;
  private readonly shape: PendingShape;
  private readonly ctx: OrgContext;
  private readonly states: FakeFlow[] = [];
  private readonly byId = new Map<string, FakeFlow>();
  private readonly rng: Rng;
  /** Logical "now": later than every timestamp in the data, advanced by each mutation. */
  private nowMs = 0;
  private invalidPerFlow = 0;

  constructor(opts: StoreOptions) {
    this.seed = opts.seed;
    this.shape = {
      pendingFraction: opts.pendingFraction,
      olderPendingFraction: opts.olderPendingFraction ?? 0,
      endAtNow: opts.endAtNow ?? false,
    };
    this.ctx = buildOrgContext(opts.seed, opts.organizationId);
    this.organizationId = this.ctx.organizationId;
    this.rng = new Rng(mixSeed(opts.seed, "mutations"));
    for (let i = 0; i < opts.flows; i++) this.addFlow(opts.runsPerFlow);
  }

  flowIds(): string[] {
    return this.states.filter((s) => !s.removed).map((s) => s.flow.id);
  }

  flows(): ApprovalFlow[] {
    return this.states.filter((s) => !s.removed).map((s) => structuredClone(s.flow));
  }

  /** Every flow ever made, removed ones included (the server answers 404 for those). */
  flowStates(): readonly FakeFlow[] {
    return this.states;
  }

  flowState(flowId: string): FakeFlow | undefined {
    return this.byId.get(flowId);
  }

  /** Valid, non-deleted runs as served, ascending by (createdAt, id). A removed flow keeps its last runs here. */
  runs(flowId: string): ApprovalRun[] {
    const state = this.byId.get(flowId);
    if (!state) throw new FakeStoreError("NotFound", `unknown flow ${flowId}`);
    return state.validEntries().map((e) => recordOf<ApprovalRun>(e));
  }

  /** n new runs, newer than every run of the flow (createdAt = max + 1..n s), pending unless told otherwise. */
  addRuns(flowId: string, n: number, opts: { status?: RunStatus } = {}): ApprovalRun[] {
    const state = this.live(flowId);
    const maxMs = state.maxCreatedMs();
    const added: ApprovalRun[] = [];
    for (let i = 1; i <= n; i++) {
      const ms = maxMs + i * 1000;
      const status = opts.status ?? "pending";
      const updatedMs = status === "pending" ? ms : ms + this.rng.int(1000, 60_000);
      const entry = runEntry(buildRun(this.rng, state.flow, this.ctx, { ms, id: this.rng.uuid() }, status, updatedMs));
      this.nowMs = Math.max(this.nowMs, updatedMs);
      state.list.insert(entry);
      added.push(recordOf<ApprovalRun>(entry));
    }
    return added;
  }

  /** The n oldest pending runs become approved (~75%) or denied, each with one new decision. */
  decideRuns(flowId: string, n: number): ApprovalRun[] {
    const state = this.live(flowId);
    const pending = state.list.items.filter((e) => e.valid && e.pending).slice(0, n);
    return pending.map((entry) => this.decide(state, entry, this.rng.chance(0.75) ? "approved" : "denied"));
  }

  decideRun(flowId: string, runId: string, result: "approved" | "denied" | "rejected"): ApprovalRun {
    const state = this.live(flowId);
    return this.decide(state, this.validEntry(state, runId), result === "approved" ? "approved" : "denied");
  }

  /** Shallow merge; a key patched to undefined is removed. Bumps updatedAt unless the patch sets it. */
  editRun(flowId: string, runId: string, patch: Partial<ApprovalRun>): ApprovalRun {
    const state = this.live(flowId);
    const entry = this.validEntry(state, runId);
    const current = entryRun(entry);
    const next = { ...current, ...patch } as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete next[k];
    if (!("updatedAt" in patch)) next.updatedAt = this.stamp(current.updatedAt);
    const run = next as unknown as ApprovalRun;
    if (typeof run.id !== "string" || Number.isNaN(Date.parse(run.createdAt))) {
      throw new FakeStoreError("InvalidArgument", "editRun must keep a string id and a parseable createdAt");
    }
    if (run.id !== runId && state.list.get(run.id)) {
      throw new FakeStoreError("InvalidArgument", `run ${run.id} already exists in flow ${flowId}`);
    }
    this.nowMs = Math.max(this.nowMs, Date.parse(run.updatedAt) || 0);
    const edited = runEntry(run);
    state.list.replace(entry, edited);
    return recordOf<ApprovalRun>(edited);
  }

  deleteRun(flowId: string, runId: string): ApprovalRun {
    const state = this.live(flowId);
    const entry = this.validEntry(state, runId);
    state.list.remove(entry);
    state.deleted.set(runId, entry);
    return recordOf<ApprovalRun>(entry);
  }

  /** Deletes n pseudo-random valid runs (fewer if the flow has fewer). */
  deleteRuns(flowId: string, n: number): ApprovalRun[] {
    const state = this.live(flowId);
    const candidates = state.validEntries();
    const deleted: ApprovalRun[] = [];
    for (let i = 0; i < Math.min(n, candidates.length); i++) {
      const j = this.rng.int(i, candidates.length - 1);
      const picked = candidates[j] as Entry;
      candidates[j] = candidates[i] as Entry;
      candidates[i] = picked;
      deleted.push(this.deleteRun(flowId, picked.id as string));
    }
    return deleted;
  }

  /** Brings a deleted run back exactly as it was. */
  restoreRun(flowId: string, runId: string): ApprovalRun {
    const state = this.live(flowId);
    const entry = state.deleted.get(runId);
    if (!entry) throw new FakeStoreError("NotFound", `run ${runId} is not deleted in flow ${flowId}`);
    if (state.list.get(runId)) throw new FakeStoreError("InvalidArgument", `run ${runId} exists again in flow ${flowId}`);
    state.deleted.delete(runId);
    state.list.insert(entry);
    return recordOf<ApprovalRun>(entry);
  }

  removeFlow(flowId: string): void {
    this.live(flowId).removed = true;
  }

  addFlow(runs: number): string {
    const index = this.states.length;
    const flow = buildFlow(this.seed, index, this.ctx);
    const state = new FakeFlow(index, flow, generateFlowRuns(this.seed, index, flow, this.ctx, runs, this.shape));
    this.nowMs = Math.max(this.nowMs, state.maxUpdatedMs);
    state.setInvalidCount(this.invalidPerFlow, this.seed, this.ctx);
    this.states.push(state);
    this.byId.set(flow.id, state);
    return flow.id;
  }

  /** The raw invalid records currently mixed into the flow's listing. */
  invalidRecords(flowId: string): unknown[] {
    const state = this.byId.get(flowId);
    if (!state) throw new FakeStoreError("NotFound", `unknown flow ${flowId}`);
    return state.invalid.map((e) => recordOf<unknown>(e));
  }

  /** Makes invalidRecords(flowId)[index] a valid run (same id if it had a valid one; else a fresh uuid). */
  fixInvalidRecord(flowId: string, index: number): ApprovalRun {
    const state = this.live(flowId);
    if (!state.invalid[index]) throw new FakeStoreError("NotFound", `no invalid record #${index} in flow ${flowId}`);
    return recordOf<ApprovalRun>(state.fixInvalid(index, this.stamp()));
  }

  setInvalidRecordsPerFlow(count: number): void {
    this.invalidPerFlow = count;
    for (const state of this.states) state.setInvalidCount(count, this.seed, this.ctx);
  }

  private live(flowId: string): FakeFlow {
    const state = this.byId.get(flowId);
    if (!state || state.removed) throw new FakeStoreError("NotFound", `unknown flow ${flowId}`);
    return state;
  }

  private validEntry(state: FakeFlow, runId: string): Entry {
    const entry = state.list.get(runId);
    if (!entry || !entry.valid) throw new FakeStoreError("NotFound", `no run ${runId} in flow ${state.flow.id}`);
    return entry;
  }

  private decide(state: FakeFlow, entry: Entry, status: "approved" | "denied"): ApprovalRun {
    const run = entryRun(entry);
    const decision = buildDecision(this.rng, this.ctx, status === "approved" ? "approved" : "rejected");
    const next: ApprovalRun = { ...run, status, results: [...run.results, decision], updatedAt: this.stamp(run.updatedAt) };
    const decided = runEntry(next);
    state.list.replace(entry, decided);
    return recordOf<ApprovalRun>(decided);
  }

  /** A timestamp strictly later than `previous` and than any earlier mutation: the fake's "now". */
  private stamp(previous?: string): string {
    const prev = previous === undefined ? 0 : Date.parse(previous) || 0;
    this.nowMs = Math.max(this.nowMs, prev) + this.rng.int(1000, 5000);
    return iso(this.nowMs);
  }
}
