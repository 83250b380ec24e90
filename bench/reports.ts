// `npm run bench:reports` (issue 26): every report, plain and with --flow and --since/--until, the
// decision-history reports, the as-of function and the status page (/ and /api/status), timed three
// times each on a synced-looking organization of 1,000,000 runs (bench/reports-data.ts), the median
// printed against the 1 s target. BENCH_REPORTS_RUNS changes the size; BENCH_REPORTS_DB=<url> reuses a
// filled database (nothing is created or dropped); BENCH_REPORTS_KEEP=1 keeps the one it made.
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type SQL, sql } from "drizzle-orm";
import pino from "pino";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import { REPORTS, type ReportFilters } from "../src/report/catalog.js";
import { withDefaultRange } from "../src/commands/report.js";
import { readStatusModel } from "../src/ui/model.js";
import { renderStatusPage } from "../src/ui/render.js";
import { PgAdmin, migrateWithProduct } from "./pg-admin.js";
import { fillOrganization } from "./reports-data.js";
import { runScenario } from "./scenario.js";

const RUNS = Number(process.env.BENCH_REPORTS_RUNS ?? 1_000_000);
const FLOWS = 50;
const TARGET_S = 1;
const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

interface Case {
  name: string;
  filters: string;
  run: () => Promise<unknown>;
  /** The statement, for EXPLAIN when it is the slowest. */
  statement?: SQL;
}

async function median3(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await run();
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[1]!;
}

async function cases(db: Database): Promise<Case[]> {
  const [pick] = await db.rows<{ flow: string; run: string }>(sql`
    select approval_flow_id::text as flow, id::text as run from bird.approval_runs where version > 1 limit 1`);
  const day = 86_400_000;
  const filterSets: Array<[string, ReportFilters]> = [
    ["", {}],
    ["--flow", { flowId: pick!.flow }],
    [
      "--since --until (30 days, 3 months ago)",
      { since: new Date(Date.now() - 120 * day).toISOString(), until: new Date(Date.now() - 90 * day).toISOString() },
    ],
  ];
  const out: Case[] = [];
  for (const def of REPORTS) {
    if (def.needsRun) {
      const statement = def.query({ runId: pick!.run });
      out.push({ name: def.name, filters: "--run", run: () => db.rows(statement), statement });
      continue;
    }
    for (const [label, filters] of def.dateFiltered ? filterSets : filterSets.slice(0, 2)) {
      // What `report` runs: a report with a default range (decisions: the last 7 days) gets it when no date is given.
      const effective = withDefaultRange(def, filters);
      const shown = effective === filters ? label : `${label} (last ${def.defaultSinceDays} days)`.trim();
      const statement = def.query(effective);
      out.push({ name: def.name, filters: shown, run: () => db.rows(statement), statement });
    }
  }
  const asOf = sql`select count(*) from bird.runs_as_of(now() - interval '100 days')`;
  const asOfFlow = sql`select count(*) from bird.runs_as_of(now() - interval '100 days', ${pick!.flow}::uuid)`;
  out.push({ name: "runs_as_of", filters: "whole organization, count(*)", run: () => db.rows(asOf), statement: asOf });
  out.push({ name: "runs_as_of", filters: "one flow, count(*)", run: () => db.rows(asOfFlow), statement: asOfFlow });
  const page = { schedule: "*/5 * * * *", intervalMs: 300_000, showPayloads: false };
  out.push({ name: "status page /", filters: "", run: async () => renderStatusPage(await readStatusModel(db, page)) });
  out.push({ name: "status page /api/status", filters: "", run: async () => JSON.stringify(await readStatusModel(db, page)) });
  return out;
}

async function main(): Promise<number> {
  const admin = new PgAdmin(process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const reuse = process.env.BENCH_REPORTS_DB;
  const scratch = reuse ? undefined : await admin.create("reports");
  const url = reuse ?? scratch!.url;
  try {
    if (scratch) {
      await migrateWithProduct(CLI, url, process.cwd());
      const t0 = performance.now();
      await fillOrganization(scratch, RUNS, FLOWS, (line) => console.log(line));
      console.log(`database filled in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const config = loadConfig({ env: { DATABASE_URL: url, LOG_LEVEL: "silent" }, cwd: "/nonexistent" });
    const db = await openDatabase(config, pino({ level: "silent" }), { poolSize: 4 });
    try {
      const [size] = await db.rows<{ runs: number; versions: number; mb: number }>(sql`
        select (select count(*) from bird.approval_runs)::int as runs, (select count(*) from bird.approval_run_history)::int as versions,
          (pg_database_size(current_database()) / 1048576)::int as mb`);
      console.log(`\n${size!.runs} runs, ${size!.versions} past versions, database ${size!.mb} MB; median of 3, target ${TARGET_S} s`);
      console.log("| report | filters | median | target |");
      console.log("|---|---|---|---|");
      let slowest: { c: Case; s: number } | undefined;
      let over = 0;
      for (const c of await cases(db)) {
        const s = await median3(c.run);
        if (s > TARGET_S) over++;
        if (c.statement && (!slowest || s > slowest.s)) slowest = { c, s };
        console.log(`| ${c.name} | ${c.filters} | ${s.toFixed(2)} s | ≤ ${TARGET_S} s${s > TARGET_S ? " ✗" : ""} |`);
      }
      if (slowest?.c.statement) {
        console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the slowest statement: ${slowest.c.name} ${slowest.c.filters}`);
        const plan = await db.rows<{ "QUERY PLAN": string }>(sql`explain (analyze, buffers) ${slowest.c.statement}`);
        for (const row of plan) console.log(row["QUERY PLAN"]);
      }
      return over === 0 ? 0 : 1;
    } finally {
      await db.close();
    }
  } finally {
    if (scratch && process.env.BENCH_REPORTS_KEEP !== "1") await scratch.drop();
    else if (scratch) console.log(`kept ${scratch.name}: BENCH_REPORTS_DB=${scratch.url}`);
  }
}

runScenario(main);
