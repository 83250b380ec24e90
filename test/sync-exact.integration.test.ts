// Issue 3 (1): a sync stores exactly what the API serves; running it again writes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { logLines, runCli } from "./helpers/cli.js";
import { expectedRows, storedRuns } from "./helpers/compare.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";

describe("sync of 3 flows × 1,050 runs", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({ flows: 3, runsPerFlow: 1050, seed: 11 });
    url = await freshDatabaseUrl();
  });
  afterAll(async () => api.close());

  it("stores every run field for field (jsonb verbatim, NULL for omitted fields, ms timestamps)", async () => {
    const r = await runCli(["sync"], syncEnv(api, url));
    expect(r.stderr).not.toContain('"level":50');
    expect(r.code).toBe(0);
    for (const flowId of api.store.flowIds()) {
      const expected = expectedRows(api.store.runs(flowId));
      expect(expected).toHaveLength(1050);
      expect(await storedRuns(url, flowId)).toEqual(expected);
    }
    const [count] = await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs");
    expect(count!.n).toBe(3150);
    // The fixture really exercises the edge cases the comparison is meant to cover.
    const [edge] = await query<Record<string, number>>(
      url,
      `select count(*) filter (where invoker_type is null)::int as no_invoker,
              count(*) filter (where previous_object is null)::int as no_prev,
              count(*) filter (where results::text like '%userId%')::int as deprecated_user_id,
              count(*) filter (where object::text ~ '[^\\x01-\\x7f]')::int as unicode
       from bird.approval_runs`,
    );
    expect(edge!.no_invoker).toBeGreaterThan(0);
    expect(edge!.no_prev).toBeGreaterThan(0);
    expect(edge!.deprecated_user_id).toBeGreaterThan(0);
    expect(edge!.unicode).toBeGreaterThan(0);
  });

  it("records each flow's full pass as completed with its counts", async () => {
    const passes = await query<{ kind: string; outcome: string; runs_inserted: number; pages: number }>(
      url,
      "select kind, outcome, runs_inserted, pages from bird.sync_passes order by id",
    );
    expect(passes).toHaveLength(3);
    for (const p of passes) {
      expect(p).toMatchObject({ kind: "full", outcome: "completed", runs_inserted: 1050, pages: 11 });
    }
  });

  it("a second sync and a full reconcile insert 0 and update 0 rows", async () => {
    const before = await query<{ id: string; xmin: string }>(url, "select id::text, xmin::text from bird.approval_runs order by id");
    for (const args of [["sync"], ["sync", "--full"]]) {
      const r = await runCli(args, syncEnv(api, url));
      expect(r.code).toBe(0);
      const summary = logLines(r.stderr).find((l) => String(l.msg).startsWith("sync finished:"));
      expect(summary).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    }
    const after = await query<{ id: string; xmin: string }>(url, "select id::text, xmin::text from bird.approval_runs order by id");
    expect(after).toEqual(before);
    const passes = await query<{ kind: string; runs_inserted: number; runs_updated: number; outcome: string }>(
      url,
      "select kind, runs_inserted, runs_updated, outcome from bird.sync_passes where id > (select min(id) + 2 from bird.sync_passes)",
    );
    expect(passes.map((p) => p.kind).sort()).toEqual(["full", "full", "full", "incremental", "incremental", "incremental"]);
    for (const p of passes) expect(p).toMatchObject({ runs_inserted: 0, runs_updated: 0, outcome: "completed" });
  });
});
