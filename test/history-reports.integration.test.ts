// Issue 22: the decision-history views and reports on a hand-made fixture whose answers are worked out
// by hand below (windows, pinned decisions, step bounds, as-of), through the built CLI. The rows hold
// what the page write keeps (history.integration.test.ts and the simulation prove it writes that).
import pino from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/connect.js";
import { readStatusModel } from "../src/ui/model.js";
import { renderStatusPage } from "../src/ui/render.js";
import { cliEnv, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";

const FLOW = "0a000000-0000-4000-8000-000000000001";
const A = "0a000000-0000-4000-8000-00000000000a";
const B = "0a000000-0000-4000-8000-00000000000b";
const C = "0a000000-0000-4000-8000-00000000000c";
const U1 = "0a000000-0000-4000-8000-0000000000e1";
const U2 = "0a000000-0000-4000-8000-0000000000e2";
const r1 = `{"reviewer":{"type":"user","id":"${U1}"},"result":"approved","comment":"ok"}`;
const r2 = `{"reviewer":{"type":"user","id":"${U2}"},"result":"approved","comment":""}`;
const rb = `{"userId":"${U1}","result":"rejected","comment":"no"}`;

// Run A: seen pending on step 1 (v1), then on step 2 with U1's decision (v2), then approved with U2's (v3).
// Run B: seen once, long after it was decided (B's decision predates the first read). Run C: deleted.
const FIXTURE = `
  insert into bird.approval_flows (id, name) values ('${FLOW}', 'Invoices');
  insert into bird.approval_run_history (id, version, approval_flow_id, status, active_step, tags, results, created_at, updated_at,
    changed_after, observed_at, superseded_at) values
    ('${A}', 1, '${FLOW}', 'pending', 1, '[]', '[]', '2025-03-01T00:00Z', '2025-03-01T00:00Z', null, '2025-03-01T01:00Z', '2025-03-01T05:00Z'),
    ('${A}', 2, '${FLOW}', 'pending', 2, '[]', '[${r1}]', '2025-03-01T00:00Z', '2025-03-01T04:30Z', '2025-03-01T04:00Z', '2025-03-01T05:00Z', '2025-03-01T09:00Z'),
    ('${C}', 1, '${FLOW}', 'pending', 1, '[]', '[]', '2025-03-01T00:00Z', '2025-03-01T00:00Z', null, '2025-03-01T01:00Z', '2025-03-01T12:00Z');
  insert into bird.approval_runs (id, approval_flow_id, status, active_step, tags, results, created_at, updated_at,
    version, changed_after, observed_at, deleted_at, decision_after, decision_before, decision_at,
    decided_after, decided_before, decided_at) values
    ('${A}', '${FLOW}', 'approved', 2, '[]', '[${r1},${r2}]', '2025-03-01T00:00Z', '2025-03-01T08:30Z', 3, '2025-03-01T08:00Z',
      '2025-03-01T09:00Z', null, '{2025-03-01T04:00Z,2025-03-01T08:00Z}', '{2025-03-01T05:00Z,2025-03-01T09:00Z}',
      '{2025-03-01T04:30Z,2025-03-01T08:30Z}', '2025-03-01T08:00Z', '2025-03-01T09:00Z', '2025-03-01T08:30Z'),
    ('${C}', '${FLOW}', 'pending', 1, '[]', '[]', '2025-03-01T00:00Z', '2025-03-01T00:00Z', 2, '2025-03-01T11:00Z',
      '2025-03-01T12:00Z', '2025-03-01T12:00Z', '{}', '{}', '{}', null, null, null);
  -- B as a row stored before the history was kept: no windows, first seen at its observed_at.
  insert into bird.approval_runs (id, approval_flow_id, status, tags, results, created_at, updated_at, observed_at) values
    ('${B}', '${FLOW}', 'denied', '[]', '[${rb}]', '2025-03-02T00:00Z', '2025-03-02T02:00Z', '2025-03-10T00:00Z');
  -- A's two stretches, as the page write recorded them when A left each step.
  insert into bird.run_step_times (run_id, flow_id, step, run_created_at, entered_after, entered_before, left_after, left_before) values
    ('${A}', '${FLOW}', 1, '2025-03-01T00:00Z', '2025-03-01T00:00Z', '2025-03-01T01:00Z', '2025-03-01T04:00Z', '2025-03-01T05:00Z'),
    ('${A}', '${FLOW}', 2, '2025-03-01T00:00Z', '2025-03-01T04:00Z', '2025-03-01T05:00Z', '2025-03-01T08:00Z', '2025-03-01T09:00Z');
  select bird.mark_all_report_segments();`;

describe("decision-history reports on a fixture", () => {
  let url: string;
  let env: NodeJS.ProcessEnv;
  const report = async (...args: string[]) => {
    const r = await runCli(["report", ...args, "--format", "json"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  };
  beforeAll(async () => {
    url = await freshDatabaseUrl();
    await query(url, FIXTURE);
    env = cliEnv({ DATABASE_URL: url });
  });

  it("decisions: the window of the first version showing each, created_at for one there when first seen", async () => {
    // The fixture is from 2025: without --since the report shows only the last 7 days, none of it.
    expect(await report("decisions")).toEqual([]);
    const rows = await report("decisions", "--since", "2025-01-01");
    expect(rows.map((r) => [r.run_id, r.position, r.reviewer_id, r.result, r.decided_after, r.decided_before, r.decided_at])).toEqual([
      [A, 1, U1, "approved", "2025-03-01T04:00:00.000000Z", "2025-03-01T05:00:00.000000Z", "2025-03-01T04:30:00.000000Z"],
      [A, 2, U2, "approved", "2025-03-01T08:00:00.000000Z", "2025-03-01T09:00:00.000000Z", "2025-03-01T08:30:00.000000Z"],
      [B, 1, U1, "rejected", "2025-03-02T00:00:00.000000Z", "2025-03-10T00:00:00.000000Z", "2025-03-02T02:00:00.000000Z"],
    ]);
    // --since/--until select by the window's end; --flow by flow.
    expect((await report("decisions", "--until", "2025-03-01T06:00Z")).map((r) => r.position)).toEqual([1]);
    expect((await report("decisions", "--since", "2025-03-01T05:00Z", "--until", "2025-03-01T09:00Z")).map((r) => r.position)).toEqual([1]);
    expect((await report("decisions", "--since", "2025-03-05")).map((r) => r.run_id)).toEqual([B]);
    expect(await report("decisions", "--flow", "0a000000-0000-4000-8000-0000000000ff")).toEqual([]);
  });

  it("latency: decided at updatedAt inside the window (A after 8.5 h, B after 2 h)", async () => {
    const [row] = await report("latency");
    expect(row).toMatchObject({ flow_name: "Invoices", decided_runs: 2, max_seconds: 30_600 });
    expect(row!.p50_seconds).toBeCloseTo((7200 + 30_600) / 2);
  });

  it("steps: each step's time lies between the gap of its windows and their span", async () => {
    const rows = await report("steps");
    expect(rows.map((r) => [r.step, r.runs, r.p50_low, r.p50_high, r.p90_low, r.p90_high])).toEqual([
      ["1", 1, 10_800, 18_000, 10_800, 18_000],
      ["2", 1, 10_800, 18_000, 10_800, 18_000],
    ]);
  });

  it("history --run: every version with its window and what changed", async () => {
    const rows = await report("history", "--run", A);
    expect(rows.map((r) => [r.version, r.changed_after, r.observed_at, r.changed, r.status, r.decisions])).toEqual([
      [1, null, "2025-03-01T01:00:00.000000Z", "first seen", "pending", 0],
      [2, "2025-03-01T04:00:00.000000Z", "2025-03-01T05:00:00.000000Z", "step, results, updatedAt", "pending", 1],
      [3, "2025-03-01T08:00:00.000000Z", "2025-03-01T09:00:00.000000Z", "status, results, updatedAt", "approved", 2],
    ]);
    expect((await report("history", "--run", C)).map((r) => [r.changed, r.deleted])).toEqual([
      ["first seen", "false"],
      ["deleted", "true"],
    ]);
    const missing = await runCli(["report", "history"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--run ID/);
  });

  it("runs_as_of: the version seen at or before the instant and not yet replaced; deleted and unseen runs absent", async () => {
    const asOf = async (at: string) =>
      (await query<{ id: string; version: number }>(url, "select id::text, version from bird.runs_as_of($1) order by id", [at])).map(
        (r) => `${r.id.slice(-1)}${r.version}`,
      );
    expect(await asOf("2025-03-01T00:30Z")).toEqual([]);
    expect(await asOf("2025-03-01T03:00Z")).toEqual(["a1", "c1"]);
    expect(await asOf("2025-03-01T05:00Z")).toEqual(["a2", "c1"]);
    expect(await asOf("2025-03-01T12:00Z")).toEqual(["a3"]);
    expect(await asOf("2025-03-11T00:00Z")).toEqual(["a3", "b1"]);
  });

  it("the status page charts decisions per day and each flow's step timeline", async () => {
    const config = loadConfig({ env: { DATABASE_URL: url, LOG_LEVEL: "silent" }, cwd: "/nonexistent" });
    const db = await openDatabase(config, pino({ level: "silent" }), { poolSize: 1 });
    try {
      const model = await readStatusModel(db, { schedule: "*/5 * * * *", intervalMs: 300_000, showPayloads: false });
      // A approved at 08:30 on 03-01, B denied at 02:00 on 03-02 (their updatedAt lies in their windows).
      expect(model.charts.decisions).toEqual([
        { day: "2025-03-01", status: "approved", runs: 1 },
        { day: "2025-03-02", status: "denied", runs: 1 },
      ]);
      expect(model.charts.steps.map((r) => [r.flowName, r.step, r.p50Low, r.p50High])).toEqual([
        ["Invoices", "1", 10_800, 18_000],
        ["Invoices", "2", 10_800, 18_000],
      ]);
      const html = renderStatusPage(model);
      expect(html).toContain("2025-03-01: 1 approved");
      expect(html).toContain("Invoices, step 2: p50 between 3h 00m and 5h 00m (1 run)");
    } finally {
      await db.close();
    }
  });
});
