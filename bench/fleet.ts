// Issue 23's fleet bench (`npm run bench:fleet`): one fake Bird that answers 429 above 50 arrivals in any
// second and 50 ms late, 8 flows × 12,500 runs backfilled at BIRD_MAX_RPS=50 by one daemon, by three
// daemons on one database, and by three of which one is kill -9'd at 40 % of the pages. Per scenario:
// wall time (spawn → every flow's full pass completed), the most arrivals the fake counted within any
// second, its 429s, pages it served twice, and whether the stored runs are exactly the fake's.
// The daemons cycle every 3 s: a replica whose flows are done lists their first pages again meanwhile.
// Printed, not asserted (tests never time anything).
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type FakeBirdApi, startFakeBirdApi } from "../src/fake/index.js";
import type { FakeCounters } from "../src/fake/types.js";
import { productEnv } from "./child-env.js";
import { installSignalHandlers, runCleanup, trackChildGroup } from "./cleanup.js";
import { PgAdmin, type ScratchDb } from "./pg-admin.js";
import { printTargetTable, productCli, runScenario } from "./scenario.js";

const FLOWS = 8;
const RUNS = 12_500;
const PAGE = 100;
const LATENCY_MS = 50;
const MAX_RPS = 50;
const REPLICAS = 3;
const KILL_AT = 0.4;
const PAGES = FLOWS * Math.ceil(RUNS / PAGE);
const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

interface Replica {
  child: ChildProcess;
  exited: Promise<void>;
}

interface Outcome {
  seconds: number;
  maxPerSecond: number;
  status429: number;
  listRequests: number;
  /** Pages below a flow's first served twice: the in-flight pages of a replica that died. */
  refetchedPages: number;
  /** First pages served again: the incremental passes of replicas whose flows were done already. */
  refetchedFirstPages: number;
  /** Every flow's stored live runs are exactly the fake's (by id). */
  exact: boolean;
  stored: number;
  killed?: string;
}

function startReplica(env: NodeJS.ProcessEnv): Replica {
  const child = spawn(process.execPath, [CLI, "daemon"], { env, stdio: ["ignore", "ignore", "ignore"], detached: true });
  const untrack = trackChildGroup(child.pid as number);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve())).then(untrack);
  return { child, exited };
}

async function stop(replicas: readonly Replica[]): Promise<void> {
  for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGTERM");
  const killer = setTimeout(() => {
    for (const r of replicas) r.child.kill("SIGKILL");
  }, 15_000);
  await Promise.all(replicas.map((r) => r.exited));
  clearTimeout(killer);
}

/** kill -9 of the replica holding the most leases right now (the one with the most work in flight). */
async function killBusiest(db: ScratchDb, replicas: readonly Replica[]): Promise<string> {
  const rows = await db.query<{ owner: string; n: number }>(
    "select lease_owner as owner, count(*)::int as n from bird.sync_state where lease_expires_at > now() group by 1 order by 2 desc",
  );
  for (const row of rows) {
    const pid = Number(row.owner.split(":")[1]);
    const victim = replicas.find((r) => r.child.pid === pid);
    if (!victim) continue;
    victim.child.kill("SIGKILL");
    return `pid ${pid} (held ${row.n} flows)`;
  }
  throw new Error("no replica holds a lease to be killed");
}

async function exactlyTheFake(db: ScratchDb, api: FakeBirdApi): Promise<{ exact: boolean; stored: number }> {
  let exact = true;
  let stored = 0;
  for (const flowId of api.store.flowIds()) {
    const rows = await db.query<{ id: string }>(
      "select id::text as id from bird.approval_runs where approval_flow_id = $1 and deleted_at is null order by id",
      [flowId],
    );
    const want = api.store
      .runs(flowId)
      .map((r) => r.id.toLowerCase())
      .sort();
    stored += rows.length;
    exact &&= rows.length === want.length && rows.every((r, i) => r.id === want[i]);
  }
  return { exact, stored };
}

/** Pages the fake served more than once (a page = flow, direction and token), first pages apart. */
function refetches(c: FakeCounters): { refetchedPages: number; refetchedFirstPages: number } {
  let first = 0;
  for (const [key, times] of Object.entries(c.pageFetches)) if (key.endsWith("|")) first += times - 1;
  return { refetchedPages: c.refetchedPages - first, refetchedFirstPages: first };
}

async function runFleet(api: FakeBirdApi, admin: PgAdmin, replicas: number, kill: boolean): Promise<Outcome> {
  const db = await admin.create("fleet");
  try {
    const env = productEnv({
      DATABASE_URL: db.url,
      BIRD_API_URL: api.url,
      BIRD_ACCESS_KEY: api.accessKey,
      BIRD_ORGANIZATION_ID: api.organizationId,
      BIRD_MAX_RPS: String(MAX_RPS),
      SYNC_PAGE_SIZE: String(PAGE),
      // 8 flows over 3 replicas: 3 + 3 + 2 at once; one replica alone works 3 too.
      SYNC_CONCURRENCY: "3",
      // A survivor's next cycle takes over what the killed one held (its pid is gone: at once).
      SYNC_SCHEDULE: "*/3 * * * * *",
      METRICS_PORT: "0",
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
    });
    await productCli(env)("migrate");
    api.resetCounters();
    const started = performance.now();
    const fleet = Array.from({ length: replicas }, () => startReplica(env));
    let killed: string | undefined;
    let seconds: number;
    let c: FakeCounters;
    try {
      for (;;) {
        const [row] = await db.query<{ done: number; pages: number }>(
          "select count(*) filter (where last_full_pass_at is not null)::int as done, (select coalesce(sum(pages), 0)::int from bird.sync_passes) as pages from bird.sync_state",
        );
        if ((row?.done ?? 0) >= FLOWS) break;
        if (kill && killed === undefined && (row?.pages ?? 0) >= KILL_AT * PAGES) killed = await killBusiest(db, fleet);
        if (performance.now() - started > 900_000) throw new Error("the backfill did not finish within 15 minutes");
        await sleep(100);
      }
      seconds = (performance.now() - started) / 1000;
      // Before stopping: the replicas go on with incremental cycles until then.
      c = structuredClone(api.counters);
    } finally {
      await stop(fleet);
    }
    return {
      seconds,
      maxPerSecond: c.maxPerSecond,
      status429: c.byStatus["429"] ?? 0,
      listRequests: c.listRequests,
      ...refetches(c),
      ...(await exactlyTheFake(db, api)),
      ...(killed ? { killed } : {}),
    };
  } finally {
    await db.drop();
  }
}

function report(single: Outcome, fleet: Outcome, killed: Outcome): boolean {
  const ratio = fleet.seconds / single.seconds;
  const row = (o: Outcome) => `${o.seconds.toFixed(1)} s`;
  const runs = FLOWS * RUNS;
  printTargetTable(
    `Fleet backfill (issue 23): ${FLOWS} flows × ${RUNS} runs, ${LATENCY_MS} ms latency, BIRD_MAX_RPS=${MAX_RPS}, a Bird that answers 429 above ${MAX_RPS} arrivals in any second`,
    [
      ["wall time, 1 daemon", row(single), `(${PAGES} pages / ${MAX_RPS} per s ≥ ${(PAGES / MAX_RPS).toFixed(0)} s)`],
      [`wall time, ${REPLICAS} daemons`, `${row(fleet)} (${ratio.toFixed(2)}×)`, "≤ 1.1 × one daemon"],
      [
        "most arrivals within any second (1 / 3 / 3 with a kill)",
        `${single.maxPerSecond} / ${fleet.maxPerSecond} / ${killed.maxPerSecond}`,
        `≤ ${MAX_RPS}`,
      ],
      ["429s (1 / 3 / 3 with a kill)", `${single.status429} / ${fleet.status429} / ${killed.status429}`, "0"],
      ["list requests (1 / 3 / 3 with a kill)", `${single.listRequests} / ${fleet.listRequests} / ${killed.listRequests}`, `≥ ${PAGES}`],
      [`wall time, ${REPLICAS} daemons, one kill -9'd at ${KILL_AT * 100} % (${killed.killed})`, row(killed), "survivors finish"],
      [
        "runs stored, exactly the fake's (1 / 3 / 3 with a kill)",
        [single, fleet, killed].map((o) => `${o.stored} ${o.exact ? "✓" : "✗"}`).join(" / "),
        String(runs),
      ],
      [
        "pages below the first served twice (1 / 3 / 3 with a kill)",
        `${single.refetchedPages} / ${fleet.refetchedPages} / ${killed.refetchedPages}`,
        "0 / 0 / the killed one's in flight",
      ],
      [
        "first pages served again: incremental cycles of replicas already done (1 / 3 / 3 with a kill)",
        `${single.refetchedFirstPages} / ${fleet.refetchedFirstPages} / ${killed.refetchedFirstPages}`,
        "",
      ],
    ],
  );
  const all = [single, fleet, killed];
  return ratio <= 1.1 && all.every((o) => o.maxPerSecond <= MAX_RPS && o.status429 === 0 && o.exact && o.stored === runs);
}

async function main(): Promise<number> {
  installSignalHandlers();
  const admin = new PgAdmin(process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const api = await startFakeBirdApi({
    port: 0,
    flows: FLOWS,
    runsPerFlow: RUNS,
    seed: 23,
    faults: { latencyMs: LATENCY_MS, maxPerSecond: MAX_RPS },
  });
  try {
    const single = await runFleet(api, admin, 1, false);
    const fleet = await runFleet(api, admin, REPLICAS, false);
    const killed = await runFleet(api, admin, REPLICAS, true);
    console.log(report(single, fleet, killed) ? "PASS" : "FAIL");
    return 0;
  } finally {
    await api.close();
    await runCleanup();
  }
}

runScenario(main);
