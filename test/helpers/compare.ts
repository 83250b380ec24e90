// The oracle: what bird.approval_runs must hold for a run the API serves (DESIGN §4), and the table read back.
import { isDeepStrictEqual } from "node:util";
import { expect } from "vitest";
import type { FakeBirdApi } from "../../src/fake/index.js";
import { query } from "./db.js";

export interface StoredRun {
  id: string;
  approval_flow_id: string;
  organization_id: string | null;
  workspace_id: string | null;
  status: string;
  active_step: number | null;
  invoker_type: string | null;
  invoker_id: string | null;
  object: unknown;
  previous_object: unknown;
  tags: unknown;
  results: unknown;
  created_at: string;
  updated_at: string;
}

/** Millisecond ISO (the API's own precision) so the comparison is exact, not approximate. */
const ms = (iso: string) => new Date(iso).toISOString();

export function expectedRow(run: Record<string, unknown>): StoredRun {
  const invoker = run.invoker as { type: string; id: string } | null | undefined;
  return {
    id: run.id as string,
    approval_flow_id: run.approvalFlowId as string,
    organization_id: (run.organizationId as string | undefined) ?? null,
    workspace_id: (run.workspaceId as string | undefined) ?? null,
    status: run.status as string,
    active_step: (run.activeStep as number | undefined) ?? null,
    invoker_type: invoker?.type ?? null,
    invoker_id: invoker?.id ?? null,
    object: run.object ?? null,
    previous_object: run.previousObject ?? null,
    tags: run.tags,
    results: run.results,
    created_at: ms(run.createdAt as string),
    updated_at: ms(run.updatedAt as string),
  };
}

export type QueryFn = <T>(text: string, params: unknown[]) => Promise<T[]>;

/** Live (not deleted) runs of a flow as stored, ordered like expectedRows. */
export async function storedRuns(url: string, flowId: string, opts: { includeDeleted?: boolean } = {}): Promise<StoredRun[]> {
  return storedRunsVia(<T,>(text: string, params: unknown[]) => query(url, text, params) as Promise<T[]>, flowId, opts);
}

/** The same read through any driver (PGlite in the embedded-database suite). */
export async function storedRunsVia(q: QueryFn, flowId: string, opts: { includeDeleted?: boolean } = {}): Promise<StoredRun[]> {
  const rows = await q<StoredRun & { created_at: Date; updated_at: Date }>(
    `select id::text, approval_flow_id::text, organization_id::text, workspace_id::text, status, active_step,
            invoker_type, invoker_id::text, object, previous_object, tags, results, created_at, updated_at
     from bird.approval_runs where approval_flow_id = $1 ${opts.includeDeleted ? "" : "and deleted_at is null"}
     order by id`,
    [flowId],
  );
  return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() }));
}

export function expectedRows(runs: ReadonlyArray<Record<string, unknown>>): StoredRun[] {
  return runs.map(expectedRow).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Whether every flow's live runs equal what the fake serves (for polling). */
export async function tableEqualsFake(url: string, api: FakeBirdApi): Promise<boolean> {
  for (const flowId of api.store.flowIds()) {
    if (!isDeepStrictEqual(await storedRuns(url, flowId), expectedRows(api.store.runs(flowId)))) return false;
  }
  return true;
}

/** Asserts every flow's live runs equal what the fake serves, flow by flow (a readable diff on failure). */
export async function expectTableEqualsFake(url: string, api: FakeBirdApi): Promise<void> {
  for (const flowId of api.store.flowIds()) {
    expect(await storedRuns(url, flowId)).toEqual(expectedRows(api.store.runs(flowId)));
  }
}
