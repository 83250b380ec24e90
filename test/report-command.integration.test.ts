// Issue 6: the reporting views and `report`, on a fixture whose every figure the test works out itself
// from the fixture (counts, UTC days, interpolated percentiles, age buckets) — never from the SQL
// (test/helpers/report-fixture.ts and report-oracle.ts).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "../src/db/database.js";
import { CommandError } from "../src/errors.js";
import { type ReportArgs, answerReportWithoutDatabase } from "../src/commands/report.js";
import { A, fixtureDatabase } from "./helpers/report-fixture.js";
import { capture, report } from "./helpers/report-run.js";

describe("`report`: listing, filters, messages and exit codes on a known fixture", () => {
  let db: Database;
  let stderr = "";
  beforeAll(async () => {
    ({ db } = await fixtureDatabase());
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  });
  afterEach(() => void (stderr = ""));
  afterAll(async () => {
    vi.restoreAllMocks();
    await db?.close();
  });

  it("no NAME lists the reports, one line each", async () => {
    const { code, text } = await report(db, {});
    expect(code).toBe(0);
    const lines = text.trimEnd().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual([
      "summary",
      "daily",
      "latency",
      "backlog",
      "reviewers",
      "tags",
      "health",
      "rejects",
      "decisions",
      "history",
      "steps",
    ]);
    expect(lines.every((l) => /^\w+ +\S.*$/.test(l))).toBe(true);
    const json = JSON.parse((await report(db, { format: "json" })).text) as { name: string; view: string }[];
    expect(json.map((r) => r.view)).toEqual(
      [
        "flow_summary",
        "daily_volume",
        "decision_latency",
        "pending_backlog",
        "reviewer_workload",
        "tag_counts",
        "sync_health",
        "sync_rejects",
        "decisions",
        "approval_run_versions",
        "step_times",
      ].map((v) => `bird.${v}`),
    );
    expect(stderr).toBe("");
  });

  it("an unknown NAME exits 2 and lists the valid names on stderr, nothing on stdout; a near miss gets a suggestion", async () => {
    const { code, text } = await report(db, { name: "sumary" });
    expect(code).toBe(2);
    expect(text).toBe("");
    expect(stderr).toBe(
      'approvals-sync report: unknown report "sumary"; did you mean summary? valid names: summary, daily, latency, backlog, reviewers, tags, health, rejects, decisions, history, steps\n',
    );
    stderr = "";
    expect((await report(db, { name: "volume" })).code).toBe(2);
    expect(stderr).toBe(
      'approvals-sync report: unknown report "volume"; valid names: summary, daily, latency, backlog, reviewers, tags, health, rejects, decisions, history, steps\n',
    );
  });

  it.each([
    [{ since: "yesterday" }, /--since must be a date YYYY-MM-DD .* \(got "yesterday"\)/],
    [{ until: "2025-02-30" }, /--until must be a date/],
    [{ since: "2025-03-01T25:00Z" }, /--since must be a date/],
    [{ since: "2025-03-05", until: "2025-03-04" }, /--since 2025-03-05 is not before --until 2025-03-04/],
    [
      { flowId: "invoices" },
      /--flow must be a flow id \(a uuid\), or its start as `status` shows it \(4\+ characters\) \(got "invoices"\)/,
    ],
    [{ format: "xml" }, /--format must be one of table, csv, json \(got "xml"\)/],
  ])("%o exits 2 naming the flag", async (bad, message) => {
    const { code, text } = await report(db, { name: "summary", ...(bad as Partial<ReportArgs>) });
    expect(code).toBe(2);
    expect(text).toBe("");
    expect(stderr).toMatch(message);
  });

  it("date-times with an offset are instants; a bare --until date includes its whole day", async () => {
    const json = async (args: Partial<ReportArgs>) =>
      JSON.parse((await report(db, { name: "summary", format: "json", flowId: A, ...args })).text)[0].total_runs;
    // a2 was created at 10:00Z exactly: --since is inclusive, a date-time --until exclusive.
    expect(await json({ since: "2025-03-03T11:00:00+01:00", until: "2025-03-03T10:00:01Z" })).toBe(1);
    expect(await json({ since: "2025-03-03 09:00:00.001", until: "2025-03-03T10:00:00Z" })).toBe(0);
    expect(await json({ until: "2025-03-03" })).toBe(2);
    expect(await json({ since: "2025-03-04", until: "2025-03-04" })).toBe(2);
  });

  it("an empty result: a friendly line in table, the header in csv, [] in json; exit 0", async () => {
    const args = { name: "backlog", since: "2025-03-01", until: "2025-03-31" };
    expect(await report(db, args)).toEqual({ code: 0, text: "No pending runs for --since 2025-03-01 --until 2025-03-31.\n" });
    expect(await report(db, { ...args, format: "csv" })).toEqual({
      code: 0,
      text: "flow_id,flow_name,age_bucket,runs,oldest_created_at\r\n",
    });
    expect(await report(db, { ...args, format: "json" })).toEqual({ code: 0, text: "[]\n" });
    const unknownFlow = await report(db, { name: "latency", flowId: "99999999-0000-4000-8000-000000000000" });
    expect(unknownFlow.text).toBe("No decided runs for --flow 99999999-0000-4000-8000-000000000000.\n");
  });

  it("health ignores --since/--until and says so on stderr", async () => {
    const { code, text } = await report(db, { name: "health", format: "json", since: "2025-03-04" });
    expect(code).toBe(0);
    expect(JSON.parse(text)).toHaveLength(4);
    expect(stderr).toMatch(/--since\/--until do not apply to health/);
  });

  it("the CLI can answer listings and usage errors before opening the database", () => {
    const { out, text } = capture();
    expect(answerReportWithoutDatabase({ format: "table" }, out)).toBe(true);
    expect(text().split("\n")).toHaveLength(12);
    expect(() => answerReportWithoutDatabase({ name: "nope", format: "table" }, out)).toThrow(CommandError);
    expect(answerReportWithoutDatabase({ name: "summary", format: "csv", since: "2025-03-01" }, out)).toBe(false);
  });
});
