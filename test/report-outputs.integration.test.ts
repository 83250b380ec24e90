// Issue 6: the reporting views and `report`, on a fixture whose every figure the test works out itself
// from the fixture (counts, UTC days, interpolated percentiles, age buckets) — never from the SQL
// (test/helpers/report-fixture.ts and report-oracle.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { B, C, fixtureDatabase } from "./helpers/report-fixture.js";
import {
  expectBacklog,
  expectDaily,
  expectLatency,
  expectReviewers,
  expectSummary,
  expectTags,
  type Filters,
  HEALTH,
} from "./helpers/report-oracle.js";
import { expectTable, flowLabel, minute, parseCsv, pct, report } from "./helpers/report-run.js";

describe("`report` in json, csv and table on a known fixture", () => {
  let db: Database;
  beforeAll(async () => {
    ({ db } = await fixtureDatabase());
  });
  afterAll(async () => db?.close());

  const SINCE = "2025-03-03T10:00:00Z"; // inclusive: a run created at exactly 10:00 counts
  const filtered = { since: Date.parse(SINCE), until: Date.parse("2025-03-05T00:00:00Z") };
  const cases: { name: string; expected: (f?: Filters) => Record<string, unknown>[] }[] = [
    { name: "summary", expected: expectSummary },
    { name: "daily", expected: expectDaily },
    { name: "latency", expected: expectLatency },
    { name: "backlog", expected: expectBacklog },
    { name: "reviewers", expected: expectReviewers },
    { name: "tags", expected: expectTags },
  ];

  it.each(cases)("$name --format json equals the fixture's figures, unfiltered and filtered", async ({ name, expected }) => {
    const all = await report(db, { name, format: "json" });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.text)).toEqual(expected());
    // --until with a bare date includes that whole day.
    const some = await report(db, { name, format: "json", since: SINCE, until: "2025-03-04" });
    expect(JSON.parse(some.text)).toEqual(expected(filtered));
    const flow = await report(db, { name, format: "json", flowId: B });
    expect(JSON.parse(flow.text)).toEqual(expected({ flowId: B }));
  });

  it.each(cases)("$name --format csv has the same rows, RFC 4180 quoted", async ({ name, expected }) => {
    const { code, text } = await report(db, { name, format: "csv" });
    expect(code).toBe(0);
    const rows = expected();
    const [header, ...records] = parseCsv(text);
    expect(header).toEqual(Object.keys(rows[0]!));
    expect(records).toEqual(rows.map((r) => Object.values(r).map((v) => (v === null ? "" : String(v)))));
  });

  it("summary csv quotes the flow name with a comma and quotes", async () => {
    const { text } = await report(db, { name: "summary", format: "csv" });
    expect(text).toContain(`${C},"Vendors, ""EU"" 供应商",0,0,0,0,,,\r\n`);
  });

  it("health in json and csv (lag aside, which moves with the clock)", async () => {
    const json = JSON.parse((await report(db, { name: "health", format: "json" })).text) as Record<string, unknown>[];
    expect(json.map(({ lag_seconds: _, ...r }) => r)).toEqual(HEALTH);
    expect(json.map((r) => r.lag_seconds === null)).toEqual(HEALTH.map((h) => h.last_success_at === null));
    const [header, ...records] = parseCsv((await report(db, { name: "health", format: "csv" })).text);
    expect(header).toEqual([
      "flow_id",
      "flow_name",
      "state",
      "last_success_at",
      "lag_seconds",
      "consecutive_failures",
      "rejects",
      "missing_since",
      "last_error",
    ]);
    expect(records.map((r) => [r[0], r[2], r[5], r[6], r[8]])).toEqual(
      HEALTH.map((h) => [h.flow_id, h.state, String(h.consecutive_failures), String(h.rejects), h.last_error ?? ""]),
    );
  });

  it("summary table: aligned, counts right-aligned, rates as percentages, a bar of runs", async () => {
    const rows = expectSummary();
    const { text } = await report(db, { name: "summary" });
    const body = expectTable(
      text,
      ["flow", "runs", "pending", "approved", "denied", "approval rate", "first run (UTC)", "last run (UTC)"],
      rows.map((r) => [
        flowLabel(r.flow_id),
        String(r.total_runs),
        String(r.pending),
        String(r.approved),
        String(r.denied),
        pct(r.approval_rate),
        minute(r.first_run_at),
        minute(r.last_run_at),
      ]),
      rows.map((r) => r.total_runs),
    );
    for (const r of body) for (const i of [1, 2, 3, 4, 5]) expect(r[i]!.endsWith(" ")).toBe(false);
    expect(body.map((r) => r[5]!.trim())).toEqual(["33.3%", "-", "75.0%", "-"]);
    // The bar column has no title: the legend under the table says what it measures.
    const max = Math.max(...rows.map((r) => Number(r.total_runs)));
    expect(text.endsWith(`\n\nbar: runs, to scale (${"█".repeat(20)} = ${max})\n`)).toBe(true);
  });

  it("daily, backlog, reviewers and tags tables show their volumes as bars", async () => {
    const daily = expectDaily();
    expectTable(
      (await report(db, { name: "daily" })).text,
      ["day", "flow", "runs", "pending", "approved", "denied"],
      daily.map((d) => [d.day, flowLabel(d.flow_id), String(d.runs), String(d.pending), String(d.approved), String(d.denied)]),
      daily.map((d) => d.runs),
    );
    const backlog = expectBacklog();
    expectTable(
      (await report(db, { name: "backlog" })).text,
      ["flow", "age", "pending", "oldest (UTC)"],
      backlog.map((b) => [flowLabel(b.flow_id), b.age_bucket, String(b.runs), minute(b.oldest_created_at)]),
      backlog.map((b) => b.runs),
    );
    const reviewers = expectReviewers();
    expectTable(
      (await report(db, { name: "reviewers" })).text,
      ["type", "reviewer", "decisions", "approved", "rejected", "approval rate", "flows"],
      reviewers.map((r) => [
        r.reviewer_type ?? "-",
        r.reviewer_id ?? "-",
        String(r.decisions),
        String(r.approved),
        String(r.rejected),
        pct(r.approval_rate),
        String(r.flows),
      ]),
      reviewers.map((r) => r.decisions),
    );
    const tags = expectTags();
    expectTable(
      (await report(db, { name: "tags" })).text,
      ["flow", "key", "value", "runs", "pending", "approved", "denied"],
      tags.map((t) => [flowLabel(t.flow_id), t.key, t.value, String(t.runs), String(t.pending), String(t.approved), String(t.denied)]),
      tags.map((t) => t.runs),
    );
  });

  it("latency and health tables put durations in words", async () => {
    expectTable(
      (await report(db, { name: "latency" })).text,
      ["flow", "decided", "p50", "p90", "max"],
      [
        [B, "3", "1h 00m", "1h 48m", "2h 00m"], // 300, 3600, 7200 s: p90 = 3600 + 0.8 × 3600 = 6480 s
        ["Invoices (1a000000)", "4", "1h 15m", "17h 24m", "1d 00h"], // 600, 1800, 7200, 86400 s
      ],
    );
    const lag = (h: (typeof HEALTH)[number]) => (h.last_success_at ? expect.stringMatching(/^\d+d \d\dh$/) : "-");
    expectTable(
      (await report(db, { name: "health" })).text,
      ["flow", "state", "last success (UTC)", "lag", "failures", "rejects", "missing since (UTC)", "last error"],
      HEALTH.map((h) => [
        flowLabel(h.flow_id),
        h.state,
        minute(h.last_success_at),
        lag(h),
        String(h.consecutive_failures),
        String(h.rejects),
        minute(h.missing_since),
        h.last_error?.replace("\n", " ") ?? "-",
      ]),
    );
  });
});
