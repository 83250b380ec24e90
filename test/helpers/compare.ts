// The oracle: what bird.approval_runs must hold for a run the API serves (DESIGN §4), and the table read back.
import { isDeepStrictEqual } from "node:util";
import { expect } from "vitest";
import type { FakeBirdApi } from "../../src/fake/index.js";
import { RUN_COLUMNS, runValue } from "../../src/db/run-columns.js";
import { query } from "./db.js";

/** A stored run: column name → value, for the columns an ApprovalRun feeds (src/db/run-columns.ts). */
export type StoredRun = Record<string, unknown>;

/** Millisecond ISO (the API's own precision) so the comparison is exact, not approximate. */
const ms = (iso: string) => new Date(iso).toISOString();

export function expectedRow(run: Record<string, unknown>): StoredRun {
  const row: StoredRun = {};
  for (const c of RUN_COLUMNS) {
    const v = runValue(run, c) ?? null;
    // The fake writes numbers with JSON.stringify, so a number's text is String(v); numeric is read as text.
    row[c.column] = v === null ? v : c.sqlType === "timestamptz" ? ms(v as string) : c.sqlType === "numeric" ? String(v) : v;
  }
  return row;
}

/** Every run column, read back as expectedRow builds it (uuids and numbers as text, timestamps as Dates). */
const SELECT_LIST = RUN_COLUMNS.map((c) =>
  c.sqlType === "uuid" || c.sqlType === "numeric" ? `${c.column}::text as ${c.column}` : c.column,
).join(", ");
const TIMESTAMPS = RUN_COLUMNS.filter((c) => c.sqlType === "timestamptz").map((c) => c.column);

export type QueryFn = <T>(text: string, params: unknown[]) => Promise<T[]>;

/** Live (not deleted) runs of a flow as stored, ordered like expectedRows. */
export async function storedRuns(url: string, flowId: string, opts: { includeDeleted?: boolean } = {}): Promise<StoredRun[]> {
  return storedRunsVia(<T>(text: string, params: unknown[]) => query(url, text, params) as Promise<T[]>, flowId, opts);
}

/** The same read through any driver (PGlite in the embedded-database suite). */
export async function storedRunsVia(q: QueryFn, flowId: string, opts: { includeDeleted?: boolean } = {}): Promise<StoredRun[]> {
  const rows = await q<StoredRun>(
    `select ${SELECT_LIST}
     from bird.approval_runs where approval_flow_id = $1 ${opts.includeDeleted ? "" : "and deleted_at is null"}
     order by id`,
    [flowId],
  );
  return rows.map((r) => {
    for (const col of TIMESTAMPS) r[col] = r[col] === null ? null : (r[col] as Date).toISOString();
    return r;
  });
}

export function expectedRows(runs: ReadonlyArray<Record<string, unknown>>): StoredRun[] {
  const id = (r: StoredRun) => r.id as string;
  return runs.map(expectedRow).sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
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
