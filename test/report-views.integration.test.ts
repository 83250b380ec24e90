// Issue 6: the reporting views and `report`, on a fixture whose every figure the test works out itself
// from the fixture (counts, UTC days, interpolated percentiles, age buckets) — never from the SQL
// (test/helpers/report-fixture.ts and report-oracle.ts).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { query } from "./helpers/db.js";
import { A, B, C_NAME, D, fixtureDatabase, iso, LIVE, R1, R2, R3, R4 } from "./helpers/report-fixture.js";
import {
  byText,
  expectBacklog,
  expectDaily,
  expectDecisions,
  expectLatency,
  expectReviewers,
  expectSummary,
  expectTags,
  HEALTH,
} from "./helpers/report-oracle.js";
import { normalize } from "./helpers/report-run.js";

describe("reporting views on a known fixture", () => {
  let url: string;
  let db: Database;
  beforeAll(async () => {
    ({ url, db } = await fixtureDatabase());
  });
  afterAll(async () => db?.close());

  it("the fixture is what the expectations assume", () => {
    expect(expectSummary().map((r) => [r.flow_name, r.total_runs, r.pending, r.approved, r.denied, r.approval_rate])).toEqual([
      [B, 5, 2, 1, 2, 1 / 3],
      [D, 0, 0, 0, 0, null],
      ["Invoices", 7, 3, 3, 1, 0.75],
      [C_NAME, 0, 0, 0, 0, null],
    ]);
    const [latB, latA] = expectLatency();
    expect([latB!.decided_runs, latB!.p50_seconds, latB!.max_seconds]).toEqual([3, 3600, 7200]);
    expect(latB!.p90_seconds).toBeCloseTo(6480, 9); // 3600 + 0.8 × (7200 - 3600)
    expect([latA!.decided_runs, latA!.p50_seconds, latA!.max_seconds]).toEqual([4, 4500, 86_400]);
    expect(latA!.p90_seconds).toBeCloseTo(62_640, 9); // 7200 + 0.7 × (86400 - 7200)
    expect(expectBacklog().map((r) => `${r.flow_name.slice(0, 2)} ${r.age_bucket} ${r.runs}`)).toEqual([
      "2b 7d-30d 1",
      "2b >30d 1",
      "In <1h 1",
      "In 1h-24h 1",
      "In 1d-7d 1",
    ]);
    expect(expectReviewers().map((r) => [r.reviewer_id, r.decisions, r.approved, r.rejected, r.approval_rate, r.flows])).toEqual([
      [R1, 4, 4, 0, 1, 2],
      [R2, 3, 1, 2, 1 / 3, 2],
      [R3, 2, 2, 0, 1, 2],
      [null, 1, 0, 1, 0, 1],
    ]);
  });

  describe("views", () => {
    it("run_decisions: one row per element of results, reviewer from reviewer or the deprecated userId", async () => {
      const rows = await query(url, "select * from bird.run_decisions order by run_id, ordinal");
      expect(normalize(rows)).toEqual(expectDecisions().sort(byText((d) => `${d.run_id} ${d.ordinal}`)));
    });

    it("run_tags: one row per tag", async () => {
      const rows = await query(
        url,
        "select run_id, flow_id, key, value, run_status, run_created_at from bird.run_tags order by run_id, key, value",
      );
      const expected = LIVE.flatMap((r) =>
        r.tags.map((t) => ({
          run_id: r.id,
          flow_id: r.flow,
          key: t.key,
          value: t.value,
          run_status: r.status,
          run_created_at: iso(r.created),
        })),
      );
      expect(normalize(rows)).toEqual(expected.sort(byText((t) => `${t.run_id} ${t.key} ${t.value}`)));
    });

    it("flow_summary: every flow, zeros for flows without live runs, ids for flows without a name", async () => {
      const rows = await query(url, "select * from bird.flow_summary order by flow_name");
      expect(normalize(rows)).toEqual(expectSummary());
    });

    it("daily_volume: runs per UTC day, flow and status", async () => {
      const rows = await query(
        url,
        "select day::text as day, flow_id, flow_name, status, runs from bird.daily_volume order by day, flow_name, status",
      );
      const expected = expectDaily().flatMap((d) =>
        (["approved", "denied", "pending"] as const)
          .filter((s) => d[s] > 0)
          .map((s) => ({ day: d.day, flow_id: d.flow_id, flow_name: d.flow_name, status: s, runs: d[s] })),
      );
      expect(rows).toEqual(expected);
    });

    it("decision_latency: p50/p90/max seconds of decided runs", async () => {
      expect(await query(url, "select * from bird.decision_latency order by flow_name")).toEqual(expectLatency());
    });

    it("pending_backlog: pending runs by age bucket", async () => {
      const rows = await query(
        url,
        "select flow_id, flow_name, age_bucket, runs, oldest_created_at from bird.pending_backlog order by flow_name, bucket_order",
      );
      expect(normalize(rows)).toEqual(expectBacklog());
    });

    it("reviewer_workload: decisions and approval rate per reviewer", async () => {
      const rows = await query(url, "select * from bird.reviewer_workload order by decisions desc, reviewer_id nulls last");
      expect(rows).toEqual(expectReviewers());
      expect(rows.find((r) => r.reviewer_id === R4)).toBeUndefined(); // only decided a deleted run
    });

    it("tag_counts: runs per flow and tag, a tag repeated on a run counted once", async () => {
      const rows = await query(url, "select * from bird.tag_counts order by flow_name, key, runs desc, value");
      expect(rows).toEqual(expectTags());
      expect(rows.find((r) => r.value === "apac")).toBeUndefined(); // only on a deleted run
    });

    it("sync_health: state, last success, lag, failures, rejects, lease per flow", async () => {
      const before = Date.now();
      const rows = normalize(await query(url, "select * from bird.sync_health order by flow_name"));
      const after = Date.now();
      rows.forEach((r, i) => {
        const h = HEALTH[i]!;
        if (h.last_success_at === null) expect(r.lag_seconds).toBeNull();
        else {
          expect(r.lag_seconds).toBeGreaterThanOrEqual((before - Date.parse(h.last_success_at)) / 1000 - 2);
          expect(r.lag_seconds).toBeLessThanOrEqual((after - Date.parse(h.last_success_at)) / 1000 + 2);
        }
      });
      expect(rows.map(({ lag_seconds: _, ...r }) => r)).toEqual(
        HEALTH.map((h) => ({
          ...h,
          last_full_pass_at: null,
          cursor_held: h.flow_id === A,
          lease_owner: h.flow_id === A ? "host:1:abc" : null,
        })),
      );
    });
  });

  it("every cookbook query in the Reporting docs runs on the fixture", async () => {
    const doc = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    // The cookbook's queries; other SQL in the README (the reporting role's grants) is not a report.
    const queries = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((q) => /^\s*select\b/i.test(q));
    expect(queries).toHaveLength(11);
    const answered: number[] = [];
    for (const q of queries) answered.push((await query(url, q)).length);
    // Each one has an answer in the fixture (its pending runs are recent, so "last N days" ones too).
    expect(answered.every((n) => n > 0)).toBe(true);
  });
});
