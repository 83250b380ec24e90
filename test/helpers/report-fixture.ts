// The fixture behind the report tests (issue 6): four flows and their runs, loaded into a database
// by loadFixture. The figures each report should show are worked out from it in report-oracle.ts.
import { sql } from "drizzle-orm";
import { openDatabase } from "../../src/db/connect.js";
import type { Database, SqlRunner } from "../../src/db/database.js";
import { createLogger } from "../../src/log.js";
import { freshDatabaseUrl, query } from "./db.js";

// Ids start with digits and names with capitals so "C" and en_US collations sort flows alike.
export const A = "1a000000-0000-4000-8000-00000000000a"; // "Invoices": decided and pending runs
export const B = "2b000000-0000-4000-8000-00000000000b"; // name NULL, missing upstream
export const C = "3c000000-0000-4000-8000-00000000000c"; // only a soft-deleted run; never synced
export const D = "4d000000-0000-4000-8000-00000000000d"; // no metadata row; failing; no runs
export const C_NAME = 'Vendors, "EU" 供应商';
export const NAMES: Record<string, string> = { [A]: "Invoices", [C]: C_NAME };
export const flowName = (id: string) => NAMES[id] ?? id;
export const FLOWS = [A, B, C, D];
export const R1 = "11111111-1111-4111-8111-111111111111";
export const R2 = "22222222-2222-4222-8222-222222222222";
export const R3 = "33333333-3333-4333-8333-333333333333";
export const R4 = "44444444-4444-4444-8444-444444444444";

const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
const BASE = Date.parse("2025-03-03T00:00:00Z");
export const NOW = Date.now();

type Decision = { reviewer?: { type: string; id: string }; userId?: string; result: string; comment?: string };
export interface Run {
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
export const LIVE = RUNS.filter((r) => !r.deleted);
export const iso = (ms: number) => new Date(ms).toISOString();

export async function loadFixture(db: SqlRunner): Promise<void> {
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
  // rows inserted by hand mark their report segments as the page statement does (migration 0013)
  await db.rows(sql`select bird.mark_all_report_segments()`);
}

export const logger = createLogger({ logLevel: "silent", logFormat: "json", accessKey: "", databaseUrl: undefined });

/** A fresh database holding the fixture, its session time zone 14 hours off UTC: days and times in views and reports must still be UTC. */
export async function fixtureDatabase(): Promise<{ url: string; db: Database }> {
  const url = await freshDatabaseUrl();
  await query(url, `alter database ${new URL(url).pathname.slice(1)} set timezone to 'Pacific/Kiritimati'`);
  const db = await openDatabase({ databaseUrl: url, pgliteDir: "" }, logger);
  await loadFixture(db);
  return { url, db };
}
