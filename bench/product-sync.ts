// The product, measured from outside: `approvals-sync sync --no-progress` as a child process (BIRD_MAX_RPS=0)
// against the fake API process and a fresh scratch database. Wall time is spawn → exit (node start-up and
// migrations included). Peak RSS comes from the kernel's getrusage of the child (GNU time's %M) when
// /usr/bin/time exists, cross-checked by polling /proc/<pid>/status (VmRSS, VmHWM) every 50 ms.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { productEnv } from "./child-env.js";
import { onCleanup, trackChildGroup } from "./cleanup.js";
import type { FakeProcess } from "./fake-process.js";
import type { PgAdmin } from "./pg-admin.js";
import { busyShare, childPids, cpuSeconds, machineCpu, memStatus } from "./proc.js";

export const GNU_TIME = "/usr/bin/time";
/** GNU time's output format parseTimeFile reads: peak RSS KiB, wall, user and system seconds. */
export const GNU_TIME_FORMAT = "%M %e %U %S";
const POLL_MS = 50;
const BACKEND_POLL_EVERY = 5; // polls: backends' CPU is read every 250 ms

export interface SyncRunOptions {
  cliPath: string;
  /** Scratch working directory (no .env there; time output goes there). */
  cwd: string;
  admin: PgAdmin;
  database: { name: string; url: string };
  fake: FakeProcess;
  concurrency: number;
  pageSize: number;
  /** BIRD_MAX_RPS of the sync (default 0: no pacing, the fake as fast as it answers). */
  maxRps?: number;
  label: string;
  /** Extra node flags for the sync process (what-if runs). */
  nodeArgs?: string[];
  /** Extra arguments of `sync` (e.g. `--record FILE`). */
  syncArgs?: string[];
  /** Write a V8 CPU profile of the sync process into this directory. */
  cpuProfDir?: string;
  timeoutMs?: number;
}

export interface SyncRunResult {
  exitCode: number | null;
  signal: string | null;
  seconds: number;
  /** The product's own cycle duration from its "sync finished" log line (no start-up, no migrations). */
  cycleSeconds: number | undefined;
  peakRssMb: number;
  peakRssSource: string;
  /** Highest VmHWM seen by polling (may miss the last < 50 ms). */
  polledHwmMb: number;
  maxSampledRssMb: number;
  rssSamples: number;
  /** [seconds since spawn, VmRSS MB] every 250 ms: a plateau is heap sizing, a steady climb is retention. */
  rssTimeline: Array<[number, number]>;
  /** CPU seconds during the run: the sync process, the fake API, the PostgreSQL backends serving the sync (≈). */
  cpu: { sync: number; fake: number; postgres: number };
  machineBusy: number;
  requests: number;
  summary: Record<string, unknown> | undefined;
  stderrTail: string;
}

let runCounter = 0;

export function parseTimeFile(path: string): { maxRssKb: number; user: number; sys: number } | undefined {
  if (!existsSync(path)) return undefined;
  // With a non-zero exit GNU time writes "Command exited with non-zero status N" first.
  const lines = readFileSync(path, "utf8").trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  const [rss, , user, sys] = last.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(rss)) return undefined;
  return { maxRssKb: rss as number, user: user ?? 0, sys: sys ?? 0 };
}

export async function runProductSync(opts: SyncRunOptions): Promise<SyncRunResult> {
  const useTime = existsSync(GNU_TIME);
  const timeFile = join(opts.cwd, `time-${process.pid}-${++runCounter}.txt`);
  rmSync(timeFile, { force: true });
  const nodeArgs = [
    ...(opts.nodeArgs ?? []),
    ...(opts.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", opts.cpuProfDir] : []),
    opts.cliPath,
    "sync",
    "--no-progress",
    ...(opts.syncArgs ?? []),
  ];
  const [cmd, args] = useTime
    ? [GNU_TIME, ["-f", GNU_TIME_FORMAT, "-o", timeFile, process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const env = productEnv({
    DATABASE_URL: opts.database.url,
    BIRD_API_URL: opts.fake.info.url,
    BIRD_ORGANIZATION_ID: opts.fake.info.organizationId,
    BIRD_ACCESS_KEY: opts.fake.info.accessKey,
    BIRD_MAX_RPS: String(opts.maxRps ?? 0),
    SYNC_CONCURRENCY: String(opts.concurrency),
    SYNC_PAGE_SIZE: String(opts.pageSize),
    LOG_FORMAT: "json",
    LOG_LEVEL: "info",
  });

  const monitor = new pg.Client({ connectionString: opts.admin.adminUrl });
  monitor.on("error", () => undefined);
  await monitor.connect();

  const fakeCpu0 = opts.fake.cpuSeconds();
  const m0 = machineCpu();
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd, args as string[], { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const pid = child.pid as number;
  const untrack = trackChildGroup(pid);
  const unregister = onCleanup(`stop sync (pid ${pid})`, () => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  });

  let stderrTail = "";
  let summary: Record<string, unknown> | undefined;
  let partial = "";
  child.stdout?.resume();
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => {
    stderrTail = (stderrTail + d).slice(-8000);
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!line.includes('"sync finished')) continue;
      try {
        summary = JSON.parse(line) as Record<string, unknown>;
      } catch {
        // not a JSON log line
      }
    }
  });

  // Polling: memory every 50 ms, the database backends' CPU every 250 ms.
  let nodePid: number | undefined = useTime ? undefined : pid;
  let maxRssKb = 0;
  let maxHwmKb = 0;
  let samples = 0;
  let lastNodeCpu = 0;
  let tick = 0;
  let lastRssKb = 0;
  const timeline: Array<[number, number]> = [];
  let backendPoll: Promise<void> | undefined;
  const backendCpu = new Map<number, number>();
  const pollBackends = async (): Promise<void> => {
    try {
      const { rows } = await monitor.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1", [opts.database.name]);
      for (const { pid: bp } of rows) {
        const s = cpuSeconds(bp);
        if (s !== undefined) backendCpu.set(bp, Math.max(backendCpu.get(bp) ?? 0, s));
      }
    } catch {
      // the monitor is best effort
    }
  };
  const poll = (): void => {
    if (nodePid === undefined) nodePid = childPids(pid)[0];
    if (nodePid !== undefined) {
      const mem = memStatus(nodePid);
      if (mem) {
        samples++;
        maxRssKb = Math.max(maxRssKb, mem.rssKb);
        maxHwmKb = Math.max(maxHwmKb, mem.hwmKb);
        lastRssKb = mem.rssKb;
      }
      lastNodeCpu = cpuSeconds(nodePid) ?? lastNodeCpu;
    }
    if (++tick % BACKEND_POLL_EVERY === 0 && lastRssKb > 0) {
      timeline.push([Math.round(performance.now() - t0) / 1000, Math.round(lastRssKb / 102.4) / 10]);
    }
    if (tick % BACKEND_POLL_EVERY === 0 && !backendPoll) {
      backendPoll = pollBackends().finally(() => {
        backendPoll = undefined;
      });
    }
  };
  poll();
  const timer = setInterval(poll, POLL_MS);
  const killTimer = setTimeout(
    () => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone
      }
    },
    opts.timeoutMs ?? 30 * 60_000,
  );

  const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, sig) => resolve([code, sig]));
  });
  const seconds = (performance.now() - t0) / 1000;
  const m1 = machineCpu();
  clearInterval(timer);
  clearTimeout(killTimer);
  untrack();
  unregister();
  await backendPoll;
  await monitor.end().catch(() => undefined);
  const fakeCpu = opts.fake.cpuSeconds() - fakeCpu0;

  const timed = useTime ? parseTimeFile(timeFile) : undefined;
  rmSync(timeFile, { force: true });
  const polledHwmMb = maxHwmKb / 1024;
  const peakRssMb = Math.max(timed ? timed.maxRssKb / 1024 : 0, polledHwmMb);
  const state = await opts.fake.state();
  const durationMs = summary?.durationMs;
  return {
    exitCode,
    signal,
    seconds,
    cycleSeconds: typeof durationMs === "number" ? durationMs / 1000 : undefined,
    peakRssMb,
    peakRssSource: timed ? "getrusage maxrss (GNU time %M)" : "/proc VmHWM polled every 50 ms",
    polledHwmMb,
    maxSampledRssMb: maxRssKb / 1024,
    rssSamples: samples,
    rssTimeline: timeline,
    cpu: {
      sync: timed ? timed.user + timed.sys : lastNodeCpu,
      fake: fakeCpu,
      postgres: [...backendCpu.values()].reduce((a, b) => a + b, 0),
    },
    machineBusy: busyShare(m0, m1),
    requests: state.requests,
    summary,
    stderrTail,
  };
}

export class SyncFailedError extends Error {}

function assertSucceeded(label: string, r: SyncRunResult): void {
  if (r.exitCode !== 0) {
    throw new SyncFailedError(`${label}: sync exited with ${r.signal ?? r.exitCode}; its log ends with:\n${r.stderrTail.slice(-2000)}`);
  }
}

async function countRuns(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("select count(*) as n from bird.approval_runs where deleted_at is null");
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface BackfillMeasurement {
  backfill: SyncRunResult & { runs: number; runsPerSec: number; rowsVerified: number };
  incremental?: SyncRunResult;
}

type CommonOptions = Omit<SyncRunOptions, "database" | "label">;

/**
 * Backfill from an empty database (then, optionally, the no-change incremental cycle on the same data):
 * fresh scratch database, CHECKPOINT, counters reset, sync; rows verified = flows × runs; database dropped.
 */
export async function measureBackfill(opts: CommonOptions & { incremental: boolean; label: string }): Promise<BackfillMeasurement> {
  const db = await opts.admin.create("sync");
  try {
    await opts.admin.checkpoint();
    await opts.fake.resetCounters();
    const run = await runProductSync({ ...opts, database: db, label: `${opts.label} backfill` });
    assertSucceeded(`${opts.label} backfill`, run);
    const expected = opts.fake.runs;
    const stored = await countRuns(db.url);
    if (stored !== expected) throw new Error(`${opts.label} backfill stored ${stored} runs, expected ${expected}`);
    const backfill = { ...run, runs: stored, runsPerSec: stored / run.seconds, rowsVerified: stored };
    if (!opts.incremental) return { backfill };
    await opts.fake.resetCounters();
    const incremental = await runProductSync({ ...opts, cpuProfDir: undefined, database: db, label: `${opts.label} incremental` });
    assertSucceeded(`${opts.label} incremental`, incremental);
    const after = await countRuns(db.url);
    if (after !== expected) throw new Error(`${opts.label} incremental left ${after} runs, expected ${expected}`);
    return { backfill, incremental };
  } finally {
    await db.drop();
  }
}
