// Issue 3 (3, 4, 5): a hostile network, a wrong key, a missing flow and invalid records.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { expectedRows, storedRuns } from "./helpers/compare.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";

describe("under 6% 429, 12% 5xx, 3% truncated bodies and 2% connection resets", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({
      flows: 3,
      runsPerFlow: 1050,
      seed: 31,
      faults: { rate429: 0.06, retryAfter: "seconds", retryAfterSeconds: 1, rate5xx: 0.12, rateTruncated: 0.03, rateReset: 0.02 },
    });
    url = await freshDatabaseUrl();
  });
  afterAll(async () => api.close());

  it("completes with equal data and never calls before a Retry-After ran out", async () => {
    const r = await runCli(["sync"], syncEnv(api, url, { SYNC_PAGE_SIZE: "50", SYNC_MAX_RETRIES: "8" }));
    expect(r.code).toBe(0);
    for (const flowId of api.store.flowIds()) {
      expect(await storedRuns(url, flowId)).toEqual(expectedRows(api.store.runs(flowId)));
    }
    const c = api.counters;
    // The faults really happened, and were survived.
    expect(c.byStatus["429"] ?? 0).toBeGreaterThan(0);
    expect((c.byStatus["500"] ?? 0) + (c.byStatus["502"] ?? 0) + (c.byStatus["503"] ?? 0)).toBeGreaterThan(0);
    expect((c.byStatus.truncated ?? 0) + (c.byStatus.reset ?? 0)).toBeGreaterThan(0);
    expect(c.retryAfterViolations).toBe(0);
  });
});

describe("a wrong access key", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({ flows: 4, runsPerFlow: 50, accessKey: "the-right-key-0000" });
    url = await freshDatabaseUrl();
  });
  afterAll(async () => api.close());

  it("exits 2 fast after at most 3 requests, says the key was rejected and never prints it", async () => {
    const wrongKey = "sk_wrong_key_7f3a9c2e51";
    for (const extra of [{}, { BIRD_APPROVAL_IDS: api.store.flowIds().join(",") }]) {
      api.resetCounters();
      const started = Date.now();
      const r = await runCli(["sync"], { ...syncEnv(api, url, { LOG_LEVEL: "debug", ...extra }), BIRD_ACCESS_KEY: wrongKey });
      expect(r.code).toBe(2);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(api.counters.requests).toBeLessThanOrEqual(3);
      expect(r.stderr).toMatch(/rejected the access key/);
      expect(r.stdout + r.stderr).not.toContain(wrongKey);
      expect(r.stdout + r.stderr).not.toContain("7f3a9c2e51");
    }
    const stored = await query(url, "select * from bird.sync_passes");
    expect(JSON.stringify(stored)).not.toContain(wrongKey);
  });
});

describe("a wrong organization id", () => {
  it("exits 2 naming BIRD_ORGANIZATION_ID when discovery gets a 404", async () => {
    const api = await startFake({ flows: 1, runsPerFlow: 5 });
    try {
      const url = await freshDatabaseUrl();
      const r = await runCli(["sync"], { ...syncEnv(api, url), BIRD_ORGANIZATION_ID: "00000000-0000-4000-8000-000000000000" });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/check BIRD_ORGANIZATION_ID/);
    } finally {
      await api.close();
    }
  });
});

describe("a configured flow that 404s, and invalid records", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({ flows: 3, runsPerFlow: 230, seed: 5, faults: { invalidRecordsPerFlow: 6 } });
    url = await freshDatabaseUrl();
  });
  afterAll(async () => api.close());

  it("syncs the other flows, marks the flow missing, exits 1, and quarantines invalid records", async () => {
    const [gone, ...live] = api.store.flowIds();
    const ids = api.store.flowIds().join(",");
    api.store.removeFlow(gone!);
    const r = await runCli(["sync"], syncEnv(api, url, { BIRD_APPROVAL_IDS: ids }));
    expect(r.code).toBe(1);
    for (const flowId of live) {
      expect(await storedRuns(url, flowId)).toEqual(expectedRows(api.store.runs(flowId)));
    }
    const [flow] = await query<{ missing_since: Date | null }>(url, "select missing_since from bird.approval_flows where id = $1", [gone]);
    expect(flow!.missing_since).not.toBeNull();
    const [state] = await query<{ last_error: string }>(url, "select last_error from bird.sync_state where flow_id = $1", [gone]);
    expect(state!.last_error).toMatch(/not found/);

    const rejects = await query<{ flow_id: string; run_id: string | null; reason: string; payload: string }>(
      url,
      "select flow_id::text, run_id, reason, payload from bird.sync_rejects order by id",
    );
    for (const flowId of live) {
      const mine = rejects.filter((q) => q.flow_id === flowId);
      expect(mine).toHaveLength(api.store.invalidRecords(flowId).length);
      expect(mine.length).toBe(6);
      const reasons = mine.map((q) => q.reason).join("\n");
      expect(reasons).toMatch(/status/);
      expect(reasons).toMatch(/createdAt/);
      expect(reasons).toMatch(/id/);
      expect(mine.some((q) => q.run_id === null)).toBe(true);
    }
  });
});
