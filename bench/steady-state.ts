// Issue 13's steady-state scenario: 4 flows × 10,000 runs, the newest 2% pending and 1% of older runs
// still pending (forgotten approvals), timestamps ending now. Measures what a no-change `sync` right
// after the backfill costs as a share of the full pass, and whether decisions on runs created in the
// last 20 minutes arrive with the first sync after they are due. Requests are counted by the fake.
import { startFakeBirdApi } from "../src/fake/index.js";
import { productEnv } from "./child-env.js";
import { PgAdmin } from "./pg-admin.js";
import { printTargetTable, productCli, runScenario } from "./scenario.js";

const FLOWS = 4;
const RUNS = 10_000;

async function main(): Promise<number> {
  const admin = new PgAdmin(process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const db = await admin.create("steady");
  const api = await startFakeBirdApi({
    port: 0,
    flows: FLOWS,
    runsPerFlow: RUNS,
    seed: 13,
    pendingFraction: 0.02,
    olderPendingFraction: 0.01,
    endAtNow: true,
  });
  try {
    const env = productEnv({
      DATABASE_URL: db.url,
      BIRD_API_URL: api.url,
      BIRD_ACCESS_KEY: api.accessKey,
      BIRD_ORGANIZATION_ID: api.organizationId,
      BIRD_MAX_RPS: "0",
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
    });
    const product = productCli(env);
    const cli = (command: string) => product(command, "--no-progress");
    await cli("backfill");
    const full = api.counters.requests;
    api.resetCounters();
    await cli("sync");
    const noChange = api.counters.requests;

    // Decide five pending runs created in the last 20 minutes, and let a minute pass since their last read.
    const young = api.store.flowIds().flatMap((flowId) =>
      api.store
        .runs(flowId)
        .filter((r) => r.status === "pending" && Date.now() - Date.parse(r.createdAt) < 20 * 60_000)
        .map((r) => ({ flowId, id: r.id })),
    );
    const decided = young.slice(0, 5);
    for (const r of decided) api.store.decideRun(r.flowId, r.id, "approved");
    await db.query("update bird.run_reads set last_read_at = last_read_at - interval '1 minute'");
    api.resetCounters();
    await cli("sync");
    const afterDecisions = api.counters.requests;
    const rows = await db.query<{ n: number }>(
      "select count(*)::int as n from bird.approval_runs where id = any($1::uuid[]) and status = 'approved'",
      [decided.map((d) => d.id)],
    );

    const share = (100 * noChange) / full;
    printTargetTable("steady state (issue 13): 4 × 10,000 runs, newest 2% + 1% of older runs pending, timestamps ending now", [
      ["full pass (backfill) requests", String(full), ""],
      ["no-change sync requests", `${noChange} (${share.toFixed(1)}% of the full pass)`, "≤ 5%"],
      [
        "decisions on runs < 20 min old picked up by the first sync after due",
        `${rows[0]?.n ?? 0} of ${decided.length} (${afterDecisions} requests)`,
        "all",
      ],
    ]);
    return share <= 5 && rows[0]?.n === decided.length ? 0 : 1;
  } finally {
    await api.close();
    await db.drop();
  }
}

runScenario(main);
