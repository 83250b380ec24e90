// Issue 6: the reporting views and `report`, on a fixture whose every figure the test works out itself
// from the fixture (counts, UTC days, interpolated percentiles, age buckets) — never from the SQL.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../src/db/connect.js";
import type { Database, SqlRunner } from "../src/db/database.js";
import { createLogger } from "../src/log.js";
import { failureLine } from "../src/commands/common.js";
import { CommandError } from "../src/errors.js";
import { type ReportArgs, answerReportWithoutDatabase, runReportCommand } from "../src/commands/report.js";
import { exitCodeOf } from "../src/sync/outcome.js";
import { displayWidth } from "../src/text-table.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";

// ---------------------------------------------------------------- fixture
// Ids start with digits and names with capitals so "C" and en_US collations sort flows alike.
const A = "1a000000-0000-4000-8000-00000000000a"; // "Invoices": decided and pending runs
const B = "2b000000-0000-4000-8000-00000000000b"; // name NULL, missing upstream
const C = "3c000000-0000-4000-8000-00000000000c"; // only a soft-deleted run; never synced
const D = "4d000000-0000-4000-8000-00000000000d"; // no metadata row; failing; no runs
const C_NAME = 'Vendors, "EU" 供应商';
const NAMES: Record<string, string> = { [A]: "Invoices", [C]: C_NAME };
const flowName = (id: string) => NAMES[id] ?? id;
const FLOWS = [A, B, C, D];
const R1 = "11111111-1111-4111-8111-111111111111";
const R2 = "22222222-2222-4222-8222-222222222222";
const R3 = "33333333-3333-4333-8333-333333333333";
const R4 = "44444444-4444-4444-8444-444444444444";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const BASE = Date.parse("2025-03-03T00:00:00Z");
const NOW = Date.now();

type Decision = { reviewer?: { type: string; id: string }; userId?: string; result: string; comment?: string };
interface Run {
  id: string;
  flow: string;
  status: "pending" | "approved" | "denied";
  created: number;
  /** Seconds from creation to the last update (the decision, for decided runs). */
  took: number;
  deleted?: boolean;
  results: Decision[];
  tags: { key: string; value: string }[];
}

const user = (id: string) => ({ type: "user", id });
let seq = 0;
const run = (r: Omit<Run, "id">): Run => ({ id: `00000000-0000-4000-9000-${String(++seq).padStart(12, "0")}`, ...r });
const RUNS: Run[] = [
  run({
    flow: A,
    status: "approved",
    created: BASE + 9 * HOUR,
    took: 1800,
    results: [{ reviewer: user(R1), result: "approved", comment: "ok" }],
    tags: [
      { key: "region", value: "eu" },
      { key: "priority", value: "high" },
    ],
  }),
  run({
    flow: A,
    status: "denied",
    created: BASE + 10 * HOUR,
    took: 7200,
    results: [
      { reviewer: user(R1), result: "approved" },
      { reviewer: user(R2), result: "rejected", comment: 'too expensive, "no"' },
    ],
    tags: [],
  }),
  run({
    flow: A,
    status: "approved",
    created: BASE + DAY + 8 * HOUR,
    took: 86_400,
    results: [{ userId: R3, result: "approved" }],
    tags: [{ key: "region", value: "us" }],
  }),
  run({
    flow: A,
    status: "approved",
    created: BASE + DAY + 12 * HOUR,
    took: 600,
    results: [{ reviewer: user(R2), result: "approved" }],
    tags: [{ key: "region", value: "eu" }],
  }),
  run({ flow: A, status: "pending", created: NOW - 30 * MIN, took: 0, results: [], tags: [{ key: "region", value: "eu" }] }),
  run({ flow: A, status: "pending", created: NOW - 5 * HOUR, took: 60, results: [{ reviewer: user(R1), result: "approved" }], tags: [] }),
  run({ flow: A, status: "pending", created: NOW - 3 * DAY, took: 0, results: [], tags: [] }),
  run({
    flow: A,
    status: "approved",
    created: BASE + 11 * HOUR,
    took: 100_000,
    deleted: true,
    results: [{ reviewer: user(R4), result: "rejected" }],
    tags: [{ key: "region", value: "apac" }],
  }),
  run({
    flow: B,
    status: "denied",
    created: BASE + 15 * HOUR,
    took: 300,
    results: [{ reviewer: user(R2), result: "rejected" }],
    tags: [{ key: "region", value: "eu" }],
  }),
  run({
    flow: B,
    status: "approved",
    created: BASE + 2 * DAY + 9 * HOUR,
    took: 3600,
    results: [
      { reviewer: user(R1), result: "approved" },
      { reviewer: user(R3), result: "approved" },
    ],
    tags: [],
  }),
  // No reviewer at all, and the same tag twice: counted once per run.
  run({
    flow: B,
    status: "denied",
    created: BASE + 2 * DAY + 10 * HOUR,
    took: 7200,
    results: [{ result: "rejected", comment: 'needs "legal", review' }],
    tags: [
      { key: "region", value: "eu" },
      { key: "region", value: "eu" },
    ],
  }),
  run({ flow: B, status: "pending", created: NOW - 10 * DAY, took: 0, results: [], tags: [] }),
  run({ flow: B, status: "pending", created: NOW - 45 * DAY, took: 0, results: [], tags: [] }),
  run({ flow: B, status: "pending", created: NOW - 2 * HOUR, took: 0, deleted: true, results: [], tags: [] }),
  run({
    flow: C,
    status: "approved",
    created: BASE + 12 * HOUR,
    took: 60,
    deleted: true,
    results: [{ reviewer: user(R4), result: "approved" }],
    tags: [],
  }),
];
const LIVE = RUNS.filter((r) => !r.deleted);
const iso = (ms: number) => new Date(ms).toISOString();

async function loadFixture(db: SqlRunner): Promise<void> {
  await db.rows(sql`insert into bird.approval_flows (id, name, missing_since) values
    (${A}::uuid, 'Invoices', null), (${B}::uuid, null, '2025-03-07T12:00:00Z'), (${C}::uuid, ${C_NAME}, null)`);
  await db.rows(sql`insert into bird.sync_state (flow_id, last_success_at, consecutive_failures, last_error, cursor, lease_owner, lease_expires_at) values
    (${A}::uuid, '2025-03-06T00:00:00Z', 0, null, 'tok', 'host:1:abc', now() + interval '1 hour'),
    (${B}::uuid, '2025-03-06T06:00:00Z', 0, 'flow not found (404)', null, 'host:2:def', now() - interval '1 hour'),
    (${D}::uuid, null, 3, ${"HTTP 503 from Bird: upstream\nunavailable"}, null, null, null)`);
  await db.rows(sql`insert into bird.sync_rejects (flow_id, run_id, fingerprint, reason, payload) values
    (${A}::uuid, 'x1', 'x1', 'status: invalid', '{}'), (${A}::uuid, null, 'sha256:1', 'id: must be a uuid', '{}'),
    (${D}::uuid, 'y1', 'y1', 'createdAt: must be an RFC 3339 date-time', '{}')`);
  const rows = RUNS.map((r) => ({
    id: r.id,
    approval_flow_id: r.flow,
    status: r.status,
    tags: r.tags,
    results: r.results,
    created_at: iso(r.created),
    updated_at: iso(r.created + r.took * 1000),
    deleted_at: r.deleted ? iso(BASE + 10 * DAY) : null,
  }));
  await db.rows(sql`insert into bird.approval_runs (id, approval_flow_id, status, tags, results, created_at, updated_at, deleted_at)
    select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, approval_flow_id uuid, status text,
      tags jsonb, results jsonb, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz)`);
}

// ---------------------------------------------------------------- the expected figures, worked out in JS
interface Filters {
  flowId?: string;
  since?: number;
  until?: number;
}
const inRange = (r: Run, f: Filters) =>
  (!f.flowId || r.flow === f.flowId) && (f.since === undefined || r.created >= f.since) && (f.until === undefined || r.created < f.until);
const count = <T>(xs: readonly T[], p: (x: T) => boolean) => xs.filter(p).length;
const byText =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
const flowCols = (id: string) => ({ flow_id: id, flow_name: flowName(id) });
const rate = (yes: number, no: number) => (yes + no === 0 ? null : yes / (yes + no));

/** Linear interpolation between the closest ranks (what percentile_cont is documented to do). */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.ceil(pos)]! - s[lo]!) * (pos - lo);
}

function expectSummary(f: Filters = {}) {
  return FLOWS.filter((id) => !f.flowId || id === f.flowId)
    .map((id) => {
      const rs = LIVE.filter((r) => r.flow === id && inRange(r, f));
      const approved = count(rs, (r) => r.status === "approved");
      const denied = count(rs, (r) => r.status === "denied");
      const created = rs.map((r) => r.created);
      return {
        ...flowCols(id),
        total_runs: rs.length,
        pending: count(rs, (r) => r.status === "pending"),
        approved,
        denied,
        approval_rate: rate(approved, denied),
        first_run_at: rs.length ? iso(Math.min(...created)) : null,
        last_run_at: rs.length ? iso(Math.max(...created)) : null,
      };
    })
    .sort(byText((r) => r.flow_name));
}

function expectDaily(f: Filters = {}) {
  const days = new Map<
    string,
    { day: string; flow_id: string; flow_name: string; runs: number; pending: number; approved: number; denied: number }
  >();
  for (const r of LIVE.filter((x) => inRange(x, f))) {
    const day = iso(r.created).slice(0, 10);
    const k = `${day} ${flowName(r.flow)}`;
    const row = days.get(k) ?? { day, ...flowCols(r.flow), runs: 0, pending: 0, approved: 0, denied: 0 };
    row.runs++;
    row[r.status]++;
    days.set(k, row);
  }
  return [...days.entries()].sort(byText(([k]) => k)).map(([, v]) => v);
}

function expectLatency(f: Filters = {}) {
  return FLOWS.map((id) => {
    const took = LIVE.filter((r) => r.flow === id && r.status !== "pending" && inRange(r, f)).map((r) => r.took);
    return {
      ...flowCols(id),
      decided_runs: took.length,
      p50_seconds: took.length ? percentile(took, 0.5) : 0,
      p90_seconds: took.length ? percentile(took, 0.9) : 0,
      max_seconds: Math.max(...took),
    };
  })
    .filter((r) => r.decided_runs > 0)
    .sort(byText((r) => r.flow_name));
}

const BUCKETS: [string, number][] = [
  ["<1h", HOUR],
  ["1h-24h", DAY],
  ["1d-7d", 7 * DAY],
  ["7d-30d", 30 * DAY],
  [">30d", Infinity],
];
function expectBacklog(f: Filters = {}) {
  const out: { flow_id: string; flow_name: string; age_bucket: string; runs: number; oldest_created_at: string; order: number }[] = [];
  for (const r of LIVE.filter((x) => x.status === "pending" && inRange(x, f))) {
    const order = BUCKETS.findIndex(([, limit]) => NOW - r.created < limit);
    const row = out.find((o) => o.flow_id === r.flow && o.order === order);
    if (row) {
      row.runs++;
      row.oldest_created_at = iso(Math.min(Date.parse(row.oldest_created_at), r.created));
    } else out.push({ ...flowCols(r.flow), age_bucket: BUCKETS[order]![0], runs: 1, oldest_created_at: iso(r.created), order });
  }
  return out.sort((a, b) => byText<typeof a>((x) => x.flow_name)(a, b) || a.order - b.order).map(({ order: _, ...rest }) => rest);
}

function expectDecisions() {
  return LIVE.flatMap((r) =>
    r.results.map((d, i) => ({
      run_id: r.id,
      flow_id: r.flow,
      ordinal: i + 1,
      reviewer_type: d.reviewer?.type ?? (d.userId ? "user" : null),
      reviewer_id: d.reviewer?.id ?? d.userId ?? null,
      result: d.result,
      comment: d.comment ?? null,
      run_status: r.status,
      run_created_at: iso(r.created),
      run_updated_at: iso(r.created + r.took * 1000),
    })),
  );
}

function expectReviewers(f: Filters = {}) {
  const live = new Set(LIVE.filter((r) => inRange(r, f)).map((r) => r.id));
  const rows = new Map<
    string,
    {
      reviewer_type: string | null;
      reviewer_id: string | null;
      decisions: number;
      approved: number;
      rejected: number;
      approval_rate: number | null;
      flows: Set<string>;
    }
  >();
  for (const d of expectDecisions().filter((x) => live.has(x.run_id))) {
    const k = `${d.reviewer_type}/${d.reviewer_id}`;
    const row = rows.get(k) ?? {
      reviewer_type: d.reviewer_type,
      reviewer_id: d.reviewer_id,
      decisions: 0,
      approved: 0,
      rejected: 0,
      approval_rate: null,
      flows: new Set(),
    };
    row.decisions++;
    if (d.result === "approved") row.approved++;
    else row.rejected++;
    row.approval_rate = rate(row.approved, row.rejected);
    row.flows.add(d.flow_id);
    rows.set(k, row);
  }
  return [...rows.values()]
    .map(({ flows, ...r }) => ({ ...r, flows: flows.size }))
    .sort(
      (a, b) =>
        b.decisions - a.decisions ||
        (a.reviewer_id === null ? 1 : b.reviewer_id === null ? -1 : byText<typeof a>((x) => x.reviewer_id!)(a, b)),
    );
}

function expectTags(f: Filters = {}) {
  const rows = new Map<
    string,
    {
      flow_id: string;
      flow_name: string;
      key: string;
      value: string;
      runs: Set<string>;
      pending: Set<string>;
      approved: Set<string>;
      denied: Set<string>;
    }
  >();
  for (const r of LIVE.filter((x) => inRange(x, f))) {
    for (const t of r.tags) {
      const k = `${r.flow} ${t.key}=${t.value}`;
      const row = rows.get(k) ?? {
        ...flowCols(r.flow),
        key: t.key,
        value: t.value,
        runs: new Set(),
        pending: new Set(),
        approved: new Set(),
        denied: new Set(),
      };
      row.runs.add(r.id);
      row[r.status].add(r.id);
      rows.set(k, row);
    }
  }
  return [...rows.values()]
    .map((r) => ({ ...r, runs: r.runs.size, pending: r.pending.size, approved: r.approved.size, denied: r.denied.size }))
    .sort((a, b) => byText<typeof a>((x) => `${x.flow_name} ${x.key}`)(a, b) || b.runs - a.runs || byText<typeof a>((x) => x.value)(a, b));
}

const HEALTH = [
  {
    ...flowCols(B),
    state: "missing",
    last_success_at: "2025-03-06T06:00:00.000Z",
    consecutive_failures: 0,
    rejects: 0,
    missing_since: "2025-03-07T12:00:00.000Z",
    last_error: "flow not found (404)",
  },
  {
    ...flowCols(D),
    state: "failing",
    last_success_at: null,
    consecutive_failures: 3,
    rejects: 1,
    missing_since: null,
    last_error: "HTTP 503 from Bird: upstream\nunavailable",
  },
  {
    ...flowCols(A),
    state: "ok",
    last_success_at: "2025-03-06T00:00:00.000Z",
    consecutive_failures: 0,
    rejects: 2,
    missing_since: null,
    last_error: null,
  },
  {
    ...flowCols(C),
    state: "never synced",
    last_success_at: null,
    consecutive_failures: 0,
    rejects: 0,
    missing_since: null,
    last_error: null,
  },
];

// ---------------------------------------------------------------- helpers
function normalize(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])));
}

function capture(): { out: Writable; text: () => string } {
  let buf = "";
  const out = new Writable({ write: (chunk, _enc, done) => ((buf += chunk.toString()), done()) });
  return { out, text: () => buf };
}

/** Runs the report as the CLI does: a thrown error prints its one line on stderr and maps to its exit code. */
async function report(db: Database, args: Partial<ReportArgs> & { name?: string }) {
  const { out, text } = capture();
  const code = await runReportCommand(db, { format: "table", ...args }, out).then(
    () => exitCodeOf(undefined),
    (error: unknown) => (process.stderr.write(failureLine(error, [])), exitCodeOf({ error })),
  );
  return { code, text: text() };
}

/** RFC 4180 reader, enough for the tests: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      for (i++; i < text.length; i++) {
        if (text[i] === '"' && text[i + 1] === '"') (field += '"'), i++;
        else if (text[i] === '"') break;
        else field += text[i];
      }
    } else if (ch === ",") record.push(field), (field = "");
    else if (ch === "\r" && text[i + 1] === "\n") record.push(field), records.push(record), (record = []), (field = ""), i++;
    else field += ch;
  }
  expect(field + record.join("")).toBe(""); // every record ended with CRLF
  return records;
}

/** Cells of an aligned table, cut by the rule line under its header in terminal columns; the legend after a blank line is left out. */
function tableCells(table: string): string[][] {
  const lines = table.split("\n\n")[0]!.trimEnd().split("\n");
  const spans = [...lines[1]!.matchAll(/─+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const slice = (line: string, from: number, to: number) => {
    let col = 0;
    let out = "";
    for (const ch of line) {
      if (col >= from && col < to) out += ch;
      col += displayWidth(ch);
    }
    return out;
  };
  return [lines[0]!, ...lines.slice(2)].map((l) => spans.map(([a, b]) => slice(l, a, b)));
}

const flowLabel = (id: string) => (NAMES[id] ? `${NAMES[id]} (${id.slice(0, 8)})` : id);
const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);
const minute = (t: string | null) => (t === null ? "-" : `${t.slice(0, 10)} ${t.slice(11, 16)}`);
const eighths = (bar: string) => [...bar.trim()].reduce((n, ch) => n + "▏▎▍▌▋▊▉█".indexOf(ch) + 1, 0);

/** The table's rows equal `expected` (cells as shown) and its bar column is scaled to the largest volume. */
function expectTable(text: string, headers: string[], expected: unknown[][], volumes?: number[]) {
  const cells = tableCells(text);
  const withBar = volumes !== undefined;
  expect(cells[0]!.map((c) => c.trim())).toEqual(withBar ? [...headers, ""] : headers);
  const body = cells.slice(1);
  expect(body.map((r) => r.slice(0, headers.length).map((c) => c.trim()))).toEqual(expected);
  if (volumes) {
    const max = Math.max(...volumes);
    for (const [i, r] of body.entries())
      expect(eighths(r[headers.length]!)).toBe(volumes[i]! === 0 ? 0 : Math.max(1, Math.round((volumes[i]! / max) * 160)));
    expect(body.some((r) => r[headers.length]!.trim() === "█".repeat(20))).toBe(true);
  }
  return body;
}

// ---------------------------------------------------------------- tests
const logger = createLogger({ logLevel: "silent", logFormat: "json", accessKey: "", databaseUrl: undefined });

describe("reporting views and `report` on a known fixture", () => {
  let url: string;
  let db: Database;
  beforeAll(async () => {
    url = await freshDatabaseUrl();
    // A session time zone 14 hours off UTC: days and times in views and reports must still be UTC.
    await query(url, `alter database ${new URL(url).pathname.slice(1)} set timezone to 'Pacific/Kiritimati'`);
    db = await openDatabase({ databaseUrl: url, pgliteDir: "" }, logger);
    await loadFixture(db);
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

  describe("reports in json, csv and table", () => {
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

  describe("filters, messages and exit codes", () => {
    let stderr: string;
    beforeAll(() => {
      vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    });
    afterEach(() => void (stderr = ""));
    afterAll(() => vi.restoreAllMocks());
    stderr = "";

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

describe("reports on embedded PGlite", () => {
  let dir: string;
  let pglite: Database;
  let postgres: Database;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bas-report-"));
    pglite = await openDatabase({ databaseUrl: undefined, pgliteDir: join(dir, "data") }, logger);
    await pglite.migrate();
    await loadFixture(pglite);
    postgres = await openDatabase({ databaseUrl: await freshDatabaseUrl(), pgliteDir: "" }, logger);
    await loadFixture(postgres);
  });
  afterAll(async () => {
    await pglite?.close();
    await postgres?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("every report answers the same as on PostgreSQL", async () => {
    for (const name of ["summary", "daily", "latency", "backlog", "reviewers", "tags", "health"]) {
      const [lite, pg] = await Promise.all(
        [pglite, postgres].map(async (d) => JSON.parse((await report(d, { name, format: "json" })).text) as Record<string, unknown>[]),
      );
      const drop = (rows: Record<string, unknown>[]) => rows.map(({ lag_seconds: _, ...r }) => r);
      expect(drop(lite!), name).toEqual(drop(pg!));
      expect(lite!.length, name).toBeGreaterThan(0);
    }
  });
});

describe("an empty database", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: await freshDatabaseUrl(), pgliteDir: "" }, logger);
  });
  afterAll(async () => db?.close());

  it.each([
    "summary",
    "daily",
    "latency",
    "backlog",
    "reviewers",
    "tags",
    "health",
    "rejects",
  ])("report %s prints a friendly line and exits 0", async (name) => {
    expect(await report(db, { name })).toEqual({
      code: 0,
      text: `Nothing synced yet: run \`approvals-sync sync\` (or \`approvals-sync demo\` to try it), then \`approvals-sync report ${name}\` again.\n`,
    });
    expect((await report(db, { name, format: "json" })).text).toBe("[]\n");
    expect((await report(db, { name, format: "csv" })).text).toMatch(/^flow_id|^day|^reviewer_type/);
  });

  it("a database without the reporting views (auto-migrate off) exits 2 asking for `migrate`", async () => {
    await db.rows(sql`drop function bird.tag_counts_for cascade`);
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await report(db, { name: "tags" })).toEqual({ code: 2, text: "" });
      expect(String(write.mock.calls[0]?.[0])).toMatch(
        /bird\.tag_counts does not exist in this database yet: run `approvals-sync migrate` first/,
      );
    } finally {
      write.mockRestore();
    }
  });
});
