// Issue 5: the steady state costs a few requests per flow and stays exact; full reconciles mark deletions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { startCli } from "./helpers/cli.js";
import { expectTableEqualsFake, expectedRows, storedRuns } from "./helpers/compare.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";
import { waitFor } from "./helpers/wait.js";

const FLOWS = 4;
const RUNS = 2500;

const rowVersions = (url: string) =>
  query<{ id: string; xmin: string }>(url, "select id::text, xmin::text from bird.approval_runs order by id");

describe.each([
  { order: "asc" as const, lastPageToken: "empty" as const },
  { order: "desc" as const, lastPageToken: "absent" as const },
])("list order $order, last page token $lastPageToken", ({ order, lastPageToken }) => {
  let api: FakeBirdApi;
  let url: string;
  let env: NodeJS.ProcessEnv;
  let fullPassRequests = 0;
  beforeAll(async () => {
    api = await startFake({ flows: FLOWS, runsPerFlow: RUNS, seed: 41, order, lastPageToken, pendingFraction: 0.04 });
    url = await freshDatabaseUrl();
    env = syncEnv(api, url, { BIRD_APPROVAL_IDS: api.store.flowIds().join(",") });
  });
  afterAll(async () => api.close());

  it("a sync with no upstream change costs at most 5% of the full pass's requests and writes no row", async () => {
    expect(await syncInProcess(env)).toBe(0);
    fullPassRequests = api.counters.requests;
    expect(fullPassRequests).toBeGreaterThanOrEqual(FLOWS * (RUNS / 100));
    await expectTableEqualsFake(url, api);
    const before = await rowVersions(url);

    api.resetCounters();
    expect(await syncInProcess(env)).toBe(0);
    const incrementalRequests = api.counters.requests;
    console.log(`[${order}] full pass: ${fullPassRequests} requests; no-change incremental: ${incrementalRequests}`);
    expect(incrementalRequests).toBeLessThanOrEqual(Math.floor(fullPassRequests * 0.05));
    expect(await rowVersions(url)).toEqual(before);
    const passes = await query<{ kind: string; outcome: string }>(
      url,
      "select kind, outcome from bird.sync_passes order by id desc limit 4",
    );
    expect(passes).toEqual(Array(FLOWS).fill({ kind: "incremental", outcome: "completed" }));
  });

  it("picks up 30 new and 25 decided runs per flow with one plain sync", async () => {
    for (const flowId of api.store.flowIds()) {
      api.store.addRuns(flowId, 30);
      api.store.decideRuns(flowId, 25);
    }
    api.resetCounters();
    expect(await syncInProcess(env)).toBe(0);
    await expectTableEqualsFake(url, api);
    expect(api.counters.requests).toBeLessThan(fullPassRequests / 2);
  });

  it("a plain sync deletes nothing that exists upstream; --full marks deletions; a returning run is un-deleted", async () => {
    const deleted: Array<{ flowId: string; id: string }> = [];
    for (const flowId of api.store.flowIds()) {
      const decided = api.store.runs(flowId).filter((r) => r.status !== "pending");
      api.store.editRun(flowId, decided[10]!.id, { object: { edited: "✓ später" } });
      api.store.editRun(flowId, decided[20]!.id, { tags: [{ key: "edited", value: "yes" }] });
      for (const run of api.store.deleteRuns(flowId, 5)) deleted.push({ flowId, id: run.id });
    }
    expect(await syncInProcess(env)).toBe(0);
    const live = new Set(api.store.flowIds().flatMap((f) => api.store.runs(f).map((r) => r.id)));
    const marked = await query<{ id: string }>(url, "select id::text from bird.approval_runs where deleted_at is not null");
    for (const m of marked) expect(live.has(m.id)).toBe(false);

    expect(await syncInProcess(env, { full: true })).toBe(0);
    await expectTableEqualsFake(url, api);
    const nowDeleted = await query<{ id: string }>(url, "select id::text from bird.approval_runs where deleted_at is not null order by id");
    expect(nowDeleted.map((r) => r.id)).toEqual(deleted.map((d) => d.id).sort());

    const back = deleted[0]!;
    api.store.restoreRun(back.flowId, back.id);
    expect(await syncInProcess(env, { full: true })).toBe(0);
    await expectTableEqualsFake(url, api);
    const [row] = await query<{ deleted_at: Date | null }>(url, "select deleted_at from bird.approval_runs where id = $1", [back.id]);
    expect(row!.deleted_at).toBeNull();
  });

  it("an open run older than the first page that now answers 404 is marked deleted by a plain sync", async () => {
    const flowId = api.store.flowIds()[1]!;
    const pending = api.store.runs(flowId).filter((r) => r.status === "pending");
    const oldest = pending[0]!;
    api.store.deleteRun(flowId, oldest.id);
    api.resetCounters();
    expect(await syncInProcess(env, { flowIds: [flowId] })).toBe(0);
    const [row] = await query<{ deleted_at: Date | null }>(url, "select deleted_at from bird.approval_runs where id = $1", [oldest.id]);
    expect(row!.deleted_at).not.toBeNull();
    expect(await storedRuns(url, flowId)).toEqual(expectedRows(api.store.runs(flowId)));
    // Still far cheaper than a full pass of this flow.
    expect(api.counters.requests).toBeLessThan(RUNS / 100 / 2);
    api.store.restoreRun(flowId, oldest.id);
    expect(await syncInProcess(env, { full: true, flowIds: [flowId] })).toBe(0);
  });

  it("a full pass killed half way marks nothing deleted and is recorded as interrupted", async () => {
    const flowId = api.store.flowIds()[0]!;
    const victim = api.store.deleteRuns(flowId, 3);
    api.setFaults({ latencyMs: 30 });
    const p = startCli(["sync", "--full", "--flow", flowId], env);
    await waitFor(
      "10 pages of the full pass committed",
      async () =>
        (
          await query<{ pages: number }>(
            url,
            "select coalesce(max(pages), 0)::int as pages from bird.sync_passes where flow_id = $1 and outcome is null",
            [flowId],
          )
        )[0]!.pages >= 10,
      60_000,
      20,
    );
    p.child.kill("SIGKILL");
    await p.done;
    api.setFaults({ latencyMs: 0 });
    const marked = await query(url, "select 1 from bird.approval_runs where id = any($1::uuid[]) and deleted_at is not null", [
      victim.map((v) => v.id),
    ]);
    expect(marked).toHaveLength(0);
    // The next run records the dead segment as interrupted, resumes it, and only then marks deletions.
    expect(await syncInProcess(env, { flowIds: [flowId] })).toBe(0);
    const segments = await query<{ outcome: string; from_first_page: boolean }>(
      url,
      "select outcome, from_first_page from bird.sync_passes where flow_id = $1 and kind = 'full' order by id desc limit 2",
      [flowId],
    );
    expect(segments).toEqual([
      { outcome: "completed", from_first_page: false },
      { outcome: "interrupted", from_first_page: true },
    ]);
    await expectTableEqualsFake(url, api);
  });
});

describe("page tokens that expire mid-pass", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({ flows: 2, runsPerFlow: 600, seed: 43, faults: { tokenTtlMs: 400, latencyMs: 5 } });
    url = await freshDatabaseUrl();
  });
  afterAll(async () => api.close());

  it("restart the pass from the first page, say so in the history, and still converge", async () => {
    const env = syncEnv(api, url, { SYNC_PAGE_SIZE: "50" });
    // A killed run leaves a stored token; after it expires the next run must restart that pass.
    const p = startCli(["sync"], env);
    await waitFor(
      "3 pages committed",
      async () =>
        (await query<{ pages: number }>(url, "select coalesce(sum(pages), 0)::int as pages from bird.sync_passes"))[0]!.pages >= 3,
      60_000,
      10,
    );
    p.child.kill("SIGKILL");
    await p.done;
    // The fake's tokens live 400 ms (tokenTtlMs, the fake's own clock): wait them out.
    await new Promise((r) => setTimeout(r, 600));
    expect(await syncInProcess(env)).toBe(0);
    await expectTableEqualsFake(url, api);
    const restarted = await query<{ error: string }>(
      url,
      "select error from bird.sync_passes where outcome = 'interrupted' and error like '%restarting%'",
    );
    expect(restarted.length).toBeGreaterThan(0);
  });
});
