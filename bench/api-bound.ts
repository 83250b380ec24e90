// Issue 13's API-bound backfill: flows of 40,000 + 2 × 4,000 + 5 × 1,000 runs, 100 ms latency per
// request, the default BIRD_MAX_RPS=50. Wall time (spawn → exit of `sync`) against the target
// 1.25 × max(total pages / 50, biggest flow's pages × 0.1 s / 2); pages fetched twice (a page = flow,
// direction and token); the most requests the fake saw within any second; the sync's peak RSS (GNU
// time's %M, the kernel's getrusage high-water mark) and how many flows were listed from both ends, so
// the memory of a two-stream pass is measured where it happens. Printed, not asserted.
// BENCH_SYNC_ARGS adds arguments to `sync` (e.g. "--record FILE": what a recording costs an API-bound sync).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startFakeBirdApi } from "../src/fake/index.js";
import { productEnv } from "./child-env.js";
import { PgAdmin } from "./pg-admin.js";
import { GNU_TIME, GNU_TIME_FORMAT, parseTimeFile } from "./product-sync.js";
import { printTargetTable, productCli, runScenario } from "./scenario.js";

const SIZES = [40_000, 4_000, 4_000, 1_000, 1_000, 1_000, 1_000, 1_000];
const PAGE = 100;
const LATENCY_MS = 100;
const MAX_RPS = 50;
const RSS_TARGET_MB = 150;
const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** `sync` under GNU time: wall seconds, peak RSS (MB, undefined without /usr/bin/time), its log lines. */
async function measuredSync(env: NodeJS.ProcessEnv): Promise<{ seconds: number; peakRssMb?: number; log: string }> {
  const dir = mkdtempSync(join(tmpdir(), "apibound-"));
  const timeFile = join(dir, "time.txt");
  const useTime = existsSync(GNU_TIME);
  const argv = [CLI, "sync", "--no-progress", ...(process.env.BENCH_SYNC_ARGS?.split(" ").filter(Boolean) ?? [])];
  const [cmd, args] = useTime ? [GNU_TIME, ["-f", GNU_TIME_FORMAT, "-o", timeFile, process.execPath, ...argv]] : [process.execPath, argv];
  try {
    const t0 = performance.now();
    const { stderr } = await promisify(execFile)(cmd, args, { env, maxBuffer: 256 << 20 });
    const seconds = (performance.now() - t0) / 1000;
    const timed = useTime ? parseTimeFile(timeFile) : undefined;
    return { seconds, ...(timed ? { peakRssMb: timed.maxRssKb / 1024 } : {}), log: stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const admin = new PgAdmin(process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const db = await admin.create("apibound");
  const api = await startFakeBirdApi({
    port: 0,
    flows: 1,
    runsPerFlow: SIZES[0],
    seed: 17,
    order: "desc",
    faults: { latencyMs: LATENCY_MS },
  });
  for (const n of SIZES.slice(1)) api.store.addFlow(n);
  try {
    const env = productEnv({
      DATABASE_URL: db.url,
      BIRD_API_URL: api.url,
      BIRD_ACCESS_KEY: api.accessKey,
      BIRD_ORGANIZATION_ID: api.organizationId,
      BIRD_MAX_RPS: String(MAX_RPS),
      SYNC_PAGE_SIZE: String(PAGE),
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      ...(process.env.SYNC_TWO_ENDED_PAGES ? { SYNC_TWO_ENDED_PAGES: process.env.SYNC_TWO_ENDED_PAGES } : {}),
    });
    const cli = productCli(env);
    await cli("migrate");
    api.resetCounters();
    const { seconds, peakRssMb, log } = await measuredSync(env);
    const twoEnded = log.split("\n").filter((line) => line.includes('"two-ended full pass complete"')).length;
    const c = api.counters;
    const { stdout } = await cli("status", "--json");
    const stored = (JSON.parse(stdout) as Array<{ runs: number }>).reduce((s, f) => s + Number(f.runs), 0);
    const totalPages = SIZES.reduce((s, n) => s + Math.ceil(n / PAGE), 0);
    const biggest = Math.ceil(Math.max(...SIZES) / PAGE);
    const target = 1.25 * Math.max(totalPages / MAX_RPS, (biggest * LATENCY_MS) / 1000 / 2);
    const runs = SIZES.reduce((s, n) => s + n, 0);
    printTargetTable(
      `API-bound backfill (issue 13): flows of ${SIZES.join(" + ")} runs, ${LATENCY_MS} ms latency, BIRD_MAX_RPS=${MAX_RPS}, page size ${PAGE}`,
      [
        [
          "wall time, spawn → exit of `sync`",
          `${seconds.toFixed(1)} s`,
          `≤ ${target.toFixed(1)} s (1.25 × max(${totalPages} pages / ${MAX_RPS}, ${biggest} pages × 0.1 s / 2))`,
        ],
        ["runs stored", String(stored), String(runs)],
        [`list requests (pages ${totalPages})`, String(c.listRequests), ""],
        ["pages fetched twice", String(c.refetchedPages), "0"],
        ["most requests within any second", String(c.maxPerSecond), `≤ ${MAX_RPS}`],
        ["most requests in flight", String(c.maxInFlight), ""],
        ["flows listed from both ends", String(twoEnded), "≥ 1 (the 40,000-run flow)"],
        [
          "peak RSS of `sync` (GNU time %M)",
          peakRssMb === undefined ? "n/a (no /usr/bin/time)" : `${peakRssMb.toFixed(1)} MB`,
          `≤ ${RSS_TARGET_MB} MB`,
        ],
      ],
    );
    const ok =
      seconds <= target &&
      c.refetchedPages === 0 &&
      c.maxPerSecond <= MAX_RPS &&
      stored === runs &&
      twoEnded >= 1 &&
      // The RSS target is the engine's: a recording's writer thread (BENCH_SYNC_ARGS) is on top of it.
      (peakRssMb === undefined || peakRssMb <= RSS_TARGET_MB || process.env.BENCH_SYNC_ARGS !== undefined);
    console.log(ok ? "PASS" : "FAIL");
    return 0;
  } finally {
    await api.close();
    await db.drop();
  }
}

runScenario(main);
