// Issue 9 (3, 4, 5): a hostile API and bad records; nothing lost, nothing duplicated, no secret printed.
import { afterAll, describe, expect, it } from "vitest";
import type { Faults } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { expectTableEqualsFake, expectedRows, storedRuns } from "./helpers/compare.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { waitFor } from "./helpers/wait.js";

const SECRET = "sk_live_9f8e7d6c5b4a3210fedcba";
const outputs: string[] = [];
const databases: string[] = [];

async function scenario(faults: Partial<Faults>, extraEnv: Record<string, string> = {}, runs = 400) {
  const api = await startFake({ flows: 2, runsPerFlow: runs, seed: 71, accessKey: SECRET, faults });
  const url = await freshDatabaseUrl();
  databases.push(url);
  const env = syncEnv(api, url, { LOG_LEVEL: "debug", SYNC_PAGE_SIZE: "50", ...extraEnv });
  const sync = async (args: string[] = ["sync"]) => {
    const r = await runCli(args, env);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  return { api, url, env, sync };
}

describe("a hostile API", () => {
  it.each([
    ["429 storm, Retry-After in seconds", { rate429: 0.3, retryAfter: "seconds" as const, retryAfterSeconds: 1 }],
    ["429 storm, Retry-After as an HTTP date", { rate429: 0.15, retryAfter: "http-date" as const, retryAfterSeconds: 1 }],
    ["bodies that are not JSON", { rateNotJson: 0.2 }],
    ["JSON of the wrong shape", { rateWrongShape: 0.2 }],
    ["an empty page that still has a nextPageToken", { emptyPageWithToken: true }],
    ["the same run on two pages", { duplicateAcrossPages: true }],
  ] as Array<[string, Partial<Faults>]>)("%s: completes with exact data", async (_name, faults) => {
    const { api, url, sync } = await scenario(faults);
    try {
      const r = await sync();
      expect(r.code).toBe(0);
      await expectTableEqualsFake(url, api);
      expect(api.counters.retryAfterViolations).toBe(0);
      const total = Object.values(api.counters.faults ?? {}).reduce((a: number, b) => a + (b as number), 0);
      if (!faults.duplicateAcrossPages && !faults.emptyPageWithToken) expect(total).toBeGreaterThan(0);
    } finally {
      await api.close();
    }
  });

  it("responses slower than HTTP_TIMEOUT_MS time out and are retried", async () => {
    const { api, url, sync } = await scenario(
      { latencyMs: 0, latencyJitterMs: 400 },
      { HTTP_TIMEOUT_MS: "250", SYNC_MAX_RETRIES: "10" },
      200,
    );
    try {
      const r = await sync();
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/no complete answer within 250 ms/);
      await expectTableEqualsFake(url, api);
    } finally {
      await api.close();
    }
  });

  it("very large pages and deep unicode JSON", async () => {
    const { api, url, sync } = await scenario({}, { SYNC_PAGE_SIZE: "100" }, 300);
    try {
      const flowId = api.store.flowIds()[0]!;
      let deep: Record<string, unknown> = { leaf: "🐦 承認 موافقة e\u0301" };
      for (let i = 0; i < 60; i++) deep = { [`level${i}`]: deep, list: [i, "x".repeat(200)] };
      const run = api.store.runs(flowId)[5]!;
      api.store.editRun(flowId, run.id, { object: deep as never, previousObject: { blob: "ü".repeat(200_000) } as never });
      expect((await sync()).code).toBe(0);
      await expectTableEqualsFake(url, api);
    } finally {
      await api.close();
    }
  });

  it("the same token returned again: the flow fails with a clear error instead of looping; the other flow syncs", async () => {
    const { api, url, sync } = await scenario({});
    try {
      const [looping, fine] = api.store.flowIds();
      api.setFaults({ repeatTokenFlowIds: [looping!] });
      const r = await sync();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/page token it had already given/);
      expect(await storedRuns(url, fine!)).toEqual(expectedRows(api.store.runs(fine!)));
      const [state] = await query<{ last_error: string }>(url, "select last_error from bird.sync_state where flow_id = $1", [looping]);
      expect(state!.last_error).toMatch(/paging would never end/);
    } finally {
      await api.close();
    }
  });

  it("5xx bursts longer than the retry budget: flow failed, cursor kept, exit 1; the next run resumes", async () => {
    const { api, url, sync } = await scenario({ latencyMs: 5 }, { SYNC_MAX_RETRIES: "2" }, 600);
    try {
      const [flaky] = api.store.flowIds();
      // Let a few pages commit, then fail every request of that flow.
      const first = runCli(["sync"], syncEnv(api, url, { SYNC_PAGE_SIZE: "50", SYNC_MAX_RETRIES: "2", BIRD_ACCESS_KEY: SECRET }));
      await waitFor(
        "a committed cursor of the flow",
        async () =>
          Boolean(
            (
              await query<{ cursor: string | null }>(url, "select cursor from bird.sync_state where flow_id = $1", [flaky]).catch(() => [
                { cursor: null },
              ])
            )[0]?.cursor,
          ),
        60_000,
        5,
      );
      api.setFaults({ failFlowIds: [flaky!] });
      const r = await first;
      outputs.push(r.stdout, r.stderr);
      expect(r.code).toBe(1);
      const [state] = await query<{ cursor: string | null; consecutive_failures: number }>(
        url,
        "select cursor, consecutive_failures from bird.sync_state where flow_id = $1",
        [flaky],
      );
      expect(state!.cursor).not.toBeNull();
      expect(state!.consecutive_failures).toBe(1);
      const failed = await query(url, "select 1 from bird.sync_passes where flow_id = $1 and outcome = 'failed'", [flaky]);
      expect(failed).toHaveLength(1);

      api.setFaults({ failFlowIds: [] });
      api.resetCounters();
      expect((await sync()).code).toBe(0);
      await expectTableEqualsFake(url, api);
      // Resumed from the cursor: the flow's first page was not fetched again.
      expect(api.counters.pageFetches[`${flaky}|false|`]).toBeUndefined();
      expect(Object.keys(api.counters.pageFetches).some((k) => k.startsWith(`${flaky}|false|`))).toBe(true);
    } finally {
      await api.close();
    }
  });
});

describe("bad records", () => {
  it("are quarantined with a reason, and leave the quarantine once fixed upstream", async () => {
    const { api, url, sync } = await scenario({ invalidRecordsPerFlow: 6 });
    try {
      expect((await sync()).code).toBe(0);
      const flowId = api.store.flowIds()[0]!;
      const rejects = await query<{ run_id: string | null; reason: string; times_seen: number }>(
        url,
        "select run_id, reason, times_seen from bird.sync_rejects where flow_id = $1 order by id",
        [flowId],
      );
      expect(rejects).toHaveLength(6);
      const withUuid = api.store.invalidRecords(flowId).findIndex((r) => /^[0-9a-f-]{36}$/.test(String((r as { id?: unknown }).id)));
      expect(withUuid).toBeGreaterThanOrEqual(0);
      const fixed = api.store.fixInvalidRecord(flowId, withUuid);

      expect((await sync(["sync", "--full"])).code).toBe(0);
      const after = await query<{ run_id: string | null; times_seen: number }>(
        url,
        "select run_id, times_seen from bird.sync_rejects where flow_id = $1",
        [flowId],
      );
      expect(after).toHaveLength(5);
      expect(after.map((r) => r.run_id)).not.toContain(fixed.id);
      // Seen once per pass; a record on the page where a two-ended pass's streams meet is seen by both.
      expect(after.every((r) => r.times_seen >= 2 && r.times_seen <= 4)).toBe(true);
      await expectTableEqualsFake(url, api);
    } finally {
      await api.close();
    }
  });
});

describe("fields the OpenAPI does not know", () => {
  it("are kept in `extra` instead of rejecting the run; explicit nulls are stored as NULL", async () => {
    const { api, url, sync } = await scenario({}, {}, 120);
    try {
      const flowId = api.store.flowIds()[0]!;
      const run = api.store.runs(flowId)[3]!;
      api.store.editRun(flowId, run.id, { escalation: { level: 2, note: "直ちに" }, priority: 7, object: null } as never);
      expect((await sync()).code).toBe(0);
      const [row] = await query<{ extra: unknown; object: unknown }>(url, "select extra, object from bird.approval_runs where id = $1", [
        run.id,
      ]);
      expect(row).toEqual({ extra: { escalation: { level: 2, note: "直ちに" }, priority: 7 }, object: null });
      const rejects = await query(url, "select 1 from bird.sync_rejects");
      expect(rejects).toHaveLength(0);
    } finally {
      await api.close();
    }
  });
});

afterAll(async () => {
  // Secrets: across every scenario above, at LOG_LEVEL=debug, the access key appears nowhere.
  const everything = [...outputs];
  for (const url of databases) {
    everything.push(JSON.stringify(await query(url, "select * from bird.sync_passes")));
    everything.push(JSON.stringify(await query(url, "select * from bird.sync_rejects")));
    everything.push(JSON.stringify(await query(url, "select * from bird.sync_state")));
    const status = await runCli(["status", "--json"], { PATH: process.env.PATH, DATABASE_URL: url, LOG_LEVEL: "debug" });
    everything.push(status.stdout, status.stderr);
  }
  expect(everything.length).toBeGreaterThan(0);
  for (const text of everything) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/AccessKey sk_/);
  }
});
