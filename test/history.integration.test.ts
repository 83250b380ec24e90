// Issue 22: every version a sync observes is kept with its window, in the page's statement; deletion and
// un-deletion are versions; a sync that changes nothing writes none; SYNC_RUN_HISTORY=off keeps none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_COLUMNS } from "../src/db/run-columns.js";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { expectTableEqualsFake } from "./helpers/compare.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

interface VersionRow {
  id: string;
  version: number;
  status: string;
  deleted: boolean;
  changed_after: string | null;
  observed_at: string;
}

const versions = (url: string, id?: string) =>
  query<VersionRow>(
    url,
    `select id::text, version, status, deleted_at is not null as deleted,
       to_char(changed_after at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as changed_after,
       to_char(observed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as observed_at
     from bird.approval_run_versions where $1::uuid is null or id = $1::uuid order by id, version`,
    [id ?? null],
  );

const dbNow = async (url: string) =>
  (await query<{ t: string }>(url, `select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t`))[0]!.t;

const historyRows = async (url: string) =>
  (await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_run_history"))[0]!.n;

describe("run versions through `sync`", () => {
  let api: FakeBirdApi;
  let url: string;
  let env: NodeJS.ProcessEnv;
  let flowId: string;
  let firstSyncStart = "";
  beforeAll(async () => {
    api = await startFake({ flows: 1, runsPerFlow: 40, seed: 22, pendingFraction: 0.5 });
    url = await freshDatabaseUrl();
    flowId = api.store.flowIds()[0]!;
    env = syncEnv(api, url, { BIRD_APPROVAL_IDS: flowId });
  });
  afterAll(async () => api.close());

  it("the first sync stores one version per run, seen within the sync, and no past version", async () => {
    const start = await dbNow(url);
    firstSyncStart = start;
    expect(await syncInProcess(env)).toBe(0);
    const end = await dbNow(url);
    const rows = await versions(url);
    expect(rows).toHaveLength(40);
    for (const r of rows) {
      expect(r.version).toBe(1);
      expect(r.changed_after).toBeNull();
      expect(r.observed_at >= start && r.observed_at <= end).toBe(true);
    }
    expect(await historyRows(url)).toBe(0);
  });

  it("decisions, an edit and a deletion become versions whose windows hold the change", async () => {
    const beforeChange = await dbNow(url);
    const decided = api.store.decideRuns(flowId, 3);
    const live = api.store.runs(flowId);
    const edited = api.store.editRun(flowId, live.find((r) => r.status !== "pending" && !decided.some((d) => d.id === r.id))!.id, {
      tags: [{ key: "edited", value: "yes" }],
    });
    const [gone] = api.store.deleteRuns(flowId, 1).filter((r) => !decided.some((d) => d.id === r.id) && r.id !== edited.id);
    const afterChange = await dbNow(url);
    expect(await syncInProcess(env, { full: true })).toBe(0);
    const end = await dbNow(url);
    await expectTableEqualsFake(url, api);

    const changed = [...decided.map((d) => d.id), edited.id, ...(gone ? [gone.id] : [])];
    for (const id of changed) {
      const [v1, v2, ...more] = await versions(url, id);
      expect(more).toEqual([]);
      expect(v1!.version).toBe(1);
      expect(v2!.version).toBe(2);
      // The change happened between the two instants around the mutation: the window must hold it.
      expect(v2!.changed_after! < afterChange).toBe(true);
      expect(v2!.observed_at > beforeChange && v2!.observed_at <= end).toBe(true);
      // ...and it is after a read that still showed version 1 (the first sync's, or a later one).
      expect(v2!.changed_after! >= firstSyncStart).toBe(true);
    }
    for (const d of decided) expect((await versions(url, d.id))[1]!.status).not.toBe("pending");
    // Each new decision was made in its run's version-2 window; `report decisions` says so.
    const made = await runCli(["report", "decisions", "--since", "2000-01-01", "--format", "json"], env);
    expect(made.code).toBe(0);
    const rows = JSON.parse(made.stdout) as Array<Record<string, unknown>>;
    for (const d of decided) {
      const v2 = (await versions(url, d.id))[1]!;
      const last = rows.filter((r) => r.run_id === d.id).at(-1)!;
      expect([last.decided_after, last.decided_before]).toEqual([v2.changed_after, v2.observed_at]);
    }
    if (gone) expect((await versions(url, gone.id))[1]!.deleted).toBe(true);
    expect(await historyRows(url)).toBe(changed.length);
  });

  it("a sync with no upstream change writes no version", async () => {
    const before = await versions(url);
    expect(await syncInProcess(env)).toBe(0);
    expect(await syncInProcess(env, { full: true })).toBe(0);
    expect(await versions(url)).toEqual(before);
  });

  it("a run that comes back is a new version, and the versions view has every run column", async () => {
    const deleted = (await versions(url)).filter((v) => v.deleted).map((v) => v.id);
    expect(deleted.length).toBeGreaterThan(0);
    api.store.restoreRun(flowId, deleted[0]!);
    expect(await syncInProcess(env, { full: true })).toBe(0);
    const back = await versions(url, deleted[0]!);
    expect(back.map((v) => [v.version, v.deleted])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    const cols = await query<{ column_name: string }>(
      url,
      "select column_name from information_schema.columns where table_schema = 'bird' and table_name = 'approval_run_versions'",
    );
    const names = new Set(cols.map((c) => c.column_name));
    for (const c of RUN_COLUMNS) expect(names.has(c.column), c.column).toBe(true);
  });

  it("a decided run deleted and back keeps the window of the read that first showed its decision, not the 404's", async () => {
    // First seen decided (its windows left NULL: "after created_at, by observed_at"), then deleted: the
    // deletion's observed_at is its 404, and the run back must not take its decisions' window from it.
    const [first] = await query<{ id: string; observed_at: string; created_at: string }>(
      url,
      `select id::text, to_char(observed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as observed_at,
         to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at
       from bird.approval_runs where version = 1 and deleted_at is null and status <> 'pending'
         and jsonb_array_length(results) > 0 and decided_before is null and created_at <= observed_at
       order by id limit 1`,
    );
    expect(first).toBeDefined();
    const window = (table: string) =>
      query<{ after: string; before: string }>(
        url,
        `select to_char(decided_after at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as after,
           to_char(decided_before at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as before
         from ${table} where run_id = $1::uuid`,
        [first!.id],
      );
    const seen = { after: first!.created_at, before: first!.observed_at };
    expect(await window("bird.run_decided")).toEqual([seen]);
    api.store.deleteRun(flowId, first!.id);
    expect(await syncInProcess(env, { full: true })).toBe(0);
    expect((await versions(url, first!.id)).map((v) => v.deleted)).toEqual([false, true]);
    api.store.restoreRun(flowId, first!.id);
    expect(await syncInProcess(env, { full: true })).toBe(0);
    expect((await versions(url, first!.id)).map((v) => v.deleted)).toEqual([false, true, false]);
    expect(await window("bird.run_decided")).toEqual([seen]);
    const decisions = await window("bird.decisions");
    expect(decisions.length).toBeGreaterThan(0);
    for (const d of decisions) expect(d).toEqual(seen);
  });

  it("SYNC_RUN_HISTORY=off counts versions but keeps no past one", async () => {
    const kept = await historyRows(url);
    api.store.decideRuns(flowId, 2);
    expect(await syncInProcess({ ...env, SYNC_RUN_HISTORY: "off" })).toBe(0);
    expect(await historyRows(url)).toBe(kept);
    const bumped = await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs where version > 1");
    expect(bumped[0]!.n).toBeGreaterThan(0);
  });

  it("SYNC_RUN_HISTORY_DAYS prunes versions replaced before it, never a run's current version", async () => {
    const runs = await query<{ id: string }>(url, "select id::text from bird.approval_runs order by id limit 2");
    // Two past versions: one replaced 40 days ago, one yesterday (versions 0 and -1 cannot clash with real ones).
    await query(
      url,
      `insert into bird.approval_run_history (id, version, approval_flow_id, status, tags, results, created_at, updated_at,
         observed_at, superseded_at)
       select id, v.version, approval_flow_id, status, tags, results, created_at, updated_at, now() - v.age, now() - v.age
       from bird.approval_runs, (values (0, interval '40 days'), (-1, interval '1 day')) as v(version, age)
       where id = any($1::uuid[])`,
      [runs.map((r) => r.id)],
    );
    const before = await historyRows(url);
    expect(await syncInProcess({ ...env, SYNC_RUN_HISTORY_DAYS: "30" })).toBe(0);
    expect(await historyRows(url)).toBe(before - 2);
    const left = await query<{ version: number }>(url, "select version from bird.approval_run_history where version <= 0");
    expect(left.map((r) => r.version)).toEqual([-1, -1]);
    expect(await query(url, "select 1 from bird.approval_runs where id = any($1::uuid[])", [runs.map((r) => r.id)])).toHaveLength(2);
  });
});
