// Issue 13, parts 1 and 3: pending runs are re-read by age (SYNC_RECHECK_FACTOR), so forgotten
// approvals do not make every cycle a full pass; a request budget postpones re-checks as debt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { logLines, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

const FLOWS = 2;
const RUNS = 5000;

interface StatusFlow {
  flowId: string;
  pending: number;
  recheckDebt: number;
  listOrder: string | null;
  lastPass: { requests: number; rechecked: number; kind: string } | null;
}

describe("re-check pending runs by age", () => {
  let api: FakeBirdApi;
  let url: string;
  let env: NodeJS.ProcessEnv;
  let fullPassRequests = 0;
  const status = async () => JSON.parse((await runCli(["status", "--json"], env)).stdout) as StatusFlow[];
  const statusOf = async (id: string) =>
    (await query<{ status: string }>(url, "select status from bird.approval_runs where id = $1", [id]))[0]!.status;

  beforeAll(async () => {
    // The newest 2% pending and 1% of older runs forgotten, timestamps ending now (issue 13's scenario).
    api = await startFake({
      flows: FLOWS,
      runsPerFlow: RUNS,
      seed: 13,
      order: "desc",
      pendingFraction: 0.02,
      olderPendingFraction: 0.01,
      endAtNow: true,
    });
    url = await freshDatabaseUrl();
    // SYNC_RECHECK_FACTOR unset: the documented default (0.05) applies.
    env = syncEnv(api, url, { BIRD_APPROVAL_IDS: api.store.flowIds().join(","), SYNC_RECHECK_FACTOR: undefined });
    expect(await syncInProcess(env, { full: true })).toBe(0);
    fullPassRequests = api.counters.requests;
  });
  afterAll(async () => api.close());

  it("a no-change sync right after the backfill costs at most 5% of the full pass and re-reads no forgotten run", async () => {
    api.resetCounters();
    expect(await syncInProcess(env)).toBe(0);
    expect(api.counters.requests).toBeLessThanOrEqual(0.05 * fullPassRequests);
    expect(api.counters.getRequests).toBe(0);
    const flows = await status();
    expect(flows).toHaveLength(FLOWS);
    for (const f of flows) {
      expect(f.pending).toBeGreaterThan(100);
      expect(f).toMatchObject({ recheckDebt: 0, listOrder: "desc", lastPass: { kind: "incremental", rechecked: 0 } });
    }
  });

  it("young pending runs are re-read once due (their decisions arrive), forgotten old ones wait for their age", async () => {
    const flowId = api.store.flowIds()[0]!;
    const pending = api.store.runs(flowId).filter((r) => r.status === "pending");
    const young = pending.slice(-3);
    const old = pending.slice(0, 3);
    for (const r of [...young, ...old]) api.store.decideRun(flowId, r.id, "approved");
    // An hour passes since the last reads: runs younger than 20 h (0.05 × age ≤ 1 h) are due, older ones are not.
    await query(url, "update bird.run_reads set last_read_at = last_read_at - interval '1 hour'");
    api.resetCounters();
    expect(await syncInProcess(env)).toBe(0);
    for (const r of young) expect(await statusOf(r.id)).toBe("approved");
    for (const r of old) expect(await statusOf(r.id)).toBe("pending");
    expect(api.counters.requests).toBeLessThan(0.5 * fullPassRequests);
    const f = (await status()).find((s) => s.flowId === flowId)!;
    expect(f.lastPass!.rechecked).toBeGreaterThanOrEqual(young.length);

    // The periodic full reconcile still covers everything.
    expect(await syncInProcess(env, { full: true })).toBe(0);
    for (const r of old) expect(await statusOf(r.id)).toBe("approved");
  });

  it("SYNC_MAX_REQUESTS_PER_HOUR: the most overdue go first, the rest is recheck debt, shown in status and logged when it grows", async () => {
    const budgetEnv = { ...env, SYNC_RECHECK_FACTOR: "0", SYNC_MAX_REQUESTS_PER_HOUR: String(fullPassRequests * 3 + 10) };
    const used = (
      await query<{ n: number }>(url, "select sum(requests)::int as n from bird.sync_passes where started_at > now() - interval '1 hour'")
    )[0]!.n;
    const tight = { ...budgetEnv, SYNC_MAX_REQUESTS_PER_HOUR: String(used + 2 * FLOWS) };
    const r = await runCli(["sync", "--no-progress"], tight);
    expect(r.code).toBe(0);
    const grew = logLines(r.stderr).filter((l) => l.msg === "recheck debt grew: pending runs due for a re-read wait for request budget");
    expect(grew.length).toBe(FLOWS);
    const flows = await status();
    for (const f of flows) {
      // The newest pending runs are on the first page the listing reads anyway; the forgotten ones wait.
      expect(f.recheckDebt).toBeGreaterThan(20);
      expect(f.lastPass!.rechecked).toBeLessThanOrEqual(2);
    }
    const table = await runCli(["status"], env);
    expect(table.stdout).toMatch(/debt/);
    // A full reconcile re-reads everything, so the debt is paid.
    expect(await syncInProcess(env, { full: true })).toBe(0);
    for (const f of await status()) expect(f.recheckDebt).toBe(0);
  });
});

describe("re-list a stretch from a stored page token", () => {
  let api: FakeBirdApi;
  let url: string;
  let env: NodeJS.ProcessEnv;
  const tokens = async () =>
    (
      await query<{ reuses: number; refusals: number }>(
        url,
        "select token_reuses as reuses, token_refusals as refusals from bird.sync_state",
      )
    )[0]!;
  /** Makes the pending runs of the n-th stored page (oldest first) due, as if a year had passed since their last read. */
  const makePageDue = async (n: number) => {
    const rows = await query<{ id: string }>(
      url,
      `with page as (select oldest_created_at, newest_created_at from bird.page_tokens order by oldest_created_at offset $1 limit 1)
       update bird.run_reads rr set last_read_at = now() - interval '400 days'
       from bird.approval_runs r, page where r.id = rr.run_id and r.status = 'pending'
         and r.created_at between page.oldest_created_at and page.newest_created_at
       returning r.id::text as id`,
      [n],
    );
    return rows.map((r) => r.id);
  };

  beforeAll(async () => {
    // One flow of 3,000 runs where 5% of older runs are forgotten: several pending runs on every page.
    api = await startFake({
      flows: 1,
      runsPerFlow: 3000,
      seed: 17,
      order: "desc",
      pendingFraction: 0,
      olderPendingFraction: 0.05,
      endAtNow: true,
    });
    url = await freshDatabaseUrl();
    env = syncEnv(api, url, { BIRD_APPROVAL_IDS: api.store.flowIds().join(","), SYNC_RECHECK_FACTOR: undefined });
    expect(await syncInProcess(env, { full: true })).toBe(0);
  });
  afterAll(async () => api.close());

  it("a deep page dense with due runs is re-listed from its token: one request instead of a GET each", async () => {
    const flowId = api.store.flowIds()[0]!;
    const due = await makePageDue(10);
    expect(due.length).toBeGreaterThanOrEqual(2);
    for (const id of due) api.store.decideRun(flowId, id, "approved");
    api.resetCounters();
    expect(await syncInProcess(env)).toBe(0);
    const statuses = await query<{ status: string }>(url, "select status from bird.approval_runs where id = any($1::uuid[])", [due]);
    expect(statuses.map((s) => s.status)).toEqual(due.map(() => "approved"));
    expect(api.counters.getRequests).toBe(0);
    expect(api.counters.listRequests).toBe(2); // the newest page, and the stored page
    expect(await tokens()).toEqual({ reuses: 1, refusals: 0 });
  });

  it("a token Bird refuses falls back to GET by id, and after repeated refusals the flow stops trying tokens", async () => {
    const flowId = api.store.flowIds()[0]!;
    // Tokens live 5 s: fresh ones between pages work, the stored ones have expired once they are older.
    api.setFaults({ tokenTtlMs: 5000 });
    await expect
      .poll(
        async () =>
          (await query<{ s: number }>(url, "select extract(epoch from now() - max(recorded_at))::float8 as s from bird.page_tokens"))[0]!.s,
        { timeout: 30_000, interval: 250 },
      )
      .toBeGreaterThan(6);
    // Deep pages (oldest first), where listing on from the top would cost more than a GET per due run.
    for (const n of [2, 4, 6, 8, 10, 12]) {
      if ((await tokens()).refusals >= 3) break;
      const due = await makePageDue(n);
      for (const id of due) api.store.decideRun(flowId, id, "denied");
      api.resetCounters();
      expect(await syncInProcess(env)).toBe(0);
      const statuses = await query<{ status: string }>(url, "select status from bird.approval_runs where id = any($1::uuid[])", [due]);
      expect(statuses.map((s) => s.status)).toEqual(due.map(() => "denied"));
      expect(api.counters.getRequests, `round ${n}: ${JSON.stringify(api.counters.byStatus)} lists ${api.counters.listRequests}`).toBe(
        due.length,
      );
    }
    expect(await tokens()).toEqual({ reuses: 1, refusals: 3 });
    const due = await makePageDue(3);
    api.resetCounters();
    expect(await syncInProcess(env)).toBe(0);
    expect(api.counters.listRequests).toBe(1);
    expect(api.counters.getRequests).toBe(due.length);
  });
});
