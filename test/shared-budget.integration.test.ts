// Issue 23 (1): one BIRD_MAX_RPS for every process that syncs an organization. Two `sync` processes
// share one database and a Bird that answers 429 above the cap (as the API counts arrivals, over any
// sliding second): together they stay at or under it. Asserted on the fake's own counters, never on time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { expectTableEqualsFake } from "./helpers/compare.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

const CAP = 8;

describe("two processes sharing one request budget", () => {
  let api: FakeBirdApi;
  beforeAll(async () => {
    // A page takes 40 ms to answer: one process alone could send far more than the cap.
    api = await startFake({ flows: 4, runsPerFlow: 150, seed: 241, faults: { maxPerSecond: CAP, latencyMs: 40 } });
  });
  afterAll(async () => api.close());

  it("never put more than BIRD_MAX_RPS requests into any second between them, and meet no 429", async () => {
    const url = await freshDatabaseUrl();
    const env = syncEnv(api, url, { BIRD_MAX_RPS: String(CAP), SYNC_PAGE_SIZE: "15", SYNC_CONCURRENCY: "2" });
    expect((await runCli(["migrate"], env)).code).toBe(0);
    api.resetCounters();
    const [first, second] = await Promise.all([runCli(["sync", "--no-progress"], env), runCli(["sync", "--no-progress"], env)]);
    // Each exits 1 for the flows it left to the other ("being synced by another process"); none failed.
    for (const run of [first, second]) expect(run.stderr).not.toMatch(/"level":50/);
    expect(await query(url, "select flow_id from bird.sync_state where last_full_pass_at is null")).toEqual([]);
    await expectTableEqualsFake(url, api);

    // Both worked: the budget was shared, not merely unused by one of them.
    const workers = await query<{ owner: string }>(url, "select distinct owner from bird.sync_passes where requests > 0");
    expect(workers).toHaveLength(2);
    expect(api.counters.requests).toBeGreaterThan(4 * 10);
    expect(api.counters.maxPerSecond).toBeLessThanOrEqual(CAP);
    expect(api.counters.byStatus["429"]).toBeUndefined();
    expect(api.counters.faults.rateLimit).toBeUndefined();
    const budgets = await query<{ organization_id: string; api_origin: string }>(
      url,
      "select organization_id, api_origin from bird.request_budget",
    );
    expect(budgets).toEqual([{ organization_id: api.organizationId, api_origin: new URL(api.url).origin }]);
  });

  it("with BIRD_MAX_RPS=0 there is no budget to share: no statement, no row", async () => {
    const url = await freshDatabaseUrl();
    api.setFaults({ maxPerSecond: 0 });
    try {
      expect(await syncInProcess(syncEnv(api, url, { BIRD_MAX_RPS: "0" }))).toBe(0);
    } finally {
      api.setFaults({ maxPerSecond: CAP });
    }
    expect(await query(url, "select * from bird.request_budget")).toEqual([]);
  });
});
