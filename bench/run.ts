// `npm run bench`: backfill throughput against the fetch and COPY ceilings, measured side by side in one
// run; the no-change incremental cycle; peak RSS at two data sizes. Prints tables, writes bench/results.json.
// Numbers are printed and judged against the issue's targets, never asserted (no exit code for a FAIL).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { collectCopyData, type CopyCeilingResult, measureCopyCeiling } from "./ceiling-copy.js";
import { type FetchCeilingResult, measureFetchCeiling } from "./ceiling-fetch.js";
import { measurePipelineCeiling, type PipelineCeilingResult } from "./ceiling-pipeline.js";
import { productEnv } from "./child-env.js";
import { installSignalHandlers, onCleanup, runCleanup } from "./cleanup.js";
import { FakeProcess } from "./fake-process.js";
import { PgAdmin } from "./pg-admin.js";
import { busyShare, machineCpu } from "./proc.js";
import { measureBackfill, type SyncRunResult } from "./product-sync.js";
import { type ProfileSummary, summarizeProfile } from "./profile.js";
import { fixed, formatTable, int, median, pct, signedPct, verdict } from "./report.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "dist", "cli.js");

const TARGETS = { ratio: 0.8, peakRssMb: 150, rssGrowthPct: 15 } as const;

const HELP = `npm run bench [-- options]

Runs the fake Bird API in its own process and measures, side by side:
  ceiling A   a bare client paging every flow (same concurrency and page size), no database
  ceiling B   COPY of the same documents into bird.approval_runs of a scratch database
  ceiling C   (informative) A and B at once: bare fetch streamed into COPY, sharing the machine
  backfill    \`approvals-sync sync\` from an empty database (BIRD_MAX_RPS=0), wall time spawn → exit
  incremental the next \`sync\` with no upstream change: requests and seconds
  memory      peak RSS of the sync process at the small and the full data size
Prints a table per repeat (and a summary), writes bench/results.json. Targets are reported, not asserted.

Options:
  --flows N          approval flows (default 8)
  --runs N           runs per flow (default 12500)
  --concurrency N    SYNC_CONCURRENCY and the ceilings' parallelism (default 4)
  --page-size N      SYNC_PAGE_SIZE and the ceilings' page size, 1..100 (default 100)
  --repeats N        repeat the whole set N times (default 1)
  --seed N           fake data seed (default 1)
  --small-runs N     runs per flow of the small memory dataset, same flow count (default runs/4; 0 = skip)
  --pg-url URL       admin connection; scratch databases bench_* are created and dropped there
                     (default $BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --out FILE         results file (default bench/results.json)
  --profile          also run one backfill under node --cpu-prof and summarize its self time
  --profile-dir DIR  where the .cpuprofile goes (default a new folder under /tmp)
  --node-args=FLAGS  extra node flags for the sync process, for what-if runs
                     (use the = form: --node-args="--max-semi-space-size=4")
  --wait-idle S      before each repeat, wait up to S seconds for the machine to be idle (< 15% busy)
  --help`;

interface Params {
  flows: number;
  runsPerFlow: number;
  concurrency: number;
  pageSize: number;
  repeats: number;
  seed: number;
  smallRunsPerFlow: number;
  pgUrl: string;
  out: string;
  profile: boolean;
  profileDir: string | undefined;
  waitIdleSeconds: number;
  nodeArgs: string[];
}

class UsageError extends Error {}

function parseParams(argv: string[]): Params | undefined {
  let parsed: Params | undefined;
  try {
    parsed = parseParams0(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return parsed;
}

function parseParams0(argv: string[]): Params | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      flows: { type: "string" },
      runs: { type: "string" },
      concurrency: { type: "string" },
      "page-size": { type: "string" },
      repeats: { type: "string" },
      seed: { type: "string" },
      "small-runs": { type: "string" },
      "pg-url": { type: "string" },
      out: { type: "string" },
      profile: { type: "boolean" },
      "profile-dir": { type: "string" },
      "wait-idle": { type: "string" },
      "node-args": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return undefined;
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) throw new Error(`--${name} must be an integer ${min}..${max}, got ${raw}`);
    return n;
  };
  const runsPerFlow = int("runs", values.runs, 12_500, 1, 10_000_000);
  return {
    flows: int("flows", values.flows, 8, 1, 1000),
    runsPerFlow,
    concurrency: int("concurrency", values.concurrency, 4, 1, 64),
    pageSize: int("page-size", values["page-size"], 100, 1, 100),
    repeats: int("repeats", values.repeats, 1, 1, 100),
    seed: int("seed", values.seed, 1, 0, 2 ** 31),
    smallRunsPerFlow: int("small-runs", values["small-runs"], Math.floor(runsPerFlow / 4), 0, 10_000_000),
    pgUrl: values["pg-url"] ?? process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    out: values.out ?? join(ROOT, "bench", "results.json"),
    profile: values.profile === true,
    profileDir: values["profile-dir"],
    waitIdleSeconds: int("wait-idle", values["wait-idle"], 0, 0, 3600),
    nodeArgs: (values["node-args"] ?? "").split(/\s+/).filter(Boolean),
  };
}

interface RepeatResult {
  index: number;
  ceilingA: FetchCeilingResult;
  ceilingB: CopyCeilingResult;
  ceilingC: PipelineCeilingResult;
  backfill: SyncRunResult & { runs: number; runsPerSec: number };
  incremental: SyncRunResult;
  small?: SyncRunResult & { runs: number; runsPerSec: number };
  ratio: number;
  /** Informative: backfill / ceiling C. */
  ratioC: number;
  rss: { smallMb?: number; largeMb: number; growthPct?: number };
  verdicts: { ratio: boolean; peakRss: boolean; rssGrowth?: boolean };
}

const CORES = cpus().length;

function cpuNote(parts: Array<[string, number]>, seconds: number, busy: number): string {
  const capacity = CORES * seconds;
  const known = parts.reduce((s, [, v]) => s + v, 0);
  const other = Math.max(0, busy * capacity - known);
  return `cpu s ${parts.map(([k, v]) => `${k} ${fixed(v, 1)}`).join(", ")}, other ${fixed(other, 1)} of ${CORES}×${fixed(seconds, 1)}`;
}

function syncNotes(r: SyncRunResult): string {
  const cycle = r.cycleSeconds !== undefined ? `cycle ${fixed(r.cycleSeconds)} s; ` : "";
  return `${int(r.requests)} req; ${cycle}${cpuNote(
    [
      ["sync", r.cpu.sync],
      ["fake", r.cpu.fake],
      ["pg≈", r.cpu.postgres],
    ],
    r.seconds,
    r.machineBusy,
  )}; peak RSS ${fixed(r.peakRssMb, 1)} MB`;
}

function repeatTable(p: Params, r: RepeatResult, totalRuns: number): string {
  const rows: string[][] = [
    [
      "ceiling A: bare fetch, no DB",
      int(r.ceilingA.runs),
      fixed(r.ceilingA.seconds),
      int(r.ceilingA.runsPerSec),
      `${int(r.ceilingA.requests)} req, ${fixed(r.ceilingA.megabytes, 0)} MB JSON; ${cpuNote(
        [
          ["client", r.ceilingA.cpu.client],
          ["fake", r.ceilingA.cpu.fake],
        ],
        r.ceilingA.seconds,
        r.ceilingA.machineBusy,
      )}`,
    ],
    [
      "ceiling B: COPY into approval_runs",
      int(r.ceilingB.runs),
      fixed(r.ceilingB.seconds),
      int(r.ceilingB.runsPerSec),
      `${r.ceilingB.connections} conns, 1 COPY/flow, pk + indexes, ${fixed(r.ceilingB.megabytes, 0)} MB pre-encoded; cpu s pg ${fixed(r.ceilingB.cpu.postgres, 1)}, client ${fixed(r.ceilingB.cpu.client, 1)}`,
    ],
    [
      "ceiling C: A and B at once (info)",
      int(r.ceilingC.runs),
      fixed(r.ceilingC.seconds),
      int(r.ceilingC.runsPerSec),
      `fetch → COPY per flow, no validation/upsert; ${int(r.ceilingC.requests)} req; ${cpuNote(
        [
          ["client", r.ceilingC.cpu.client],
          ["fake", r.ceilingC.cpu.fake],
          ["pg", r.ceilingC.cpu.postgres],
        ],
        r.ceilingC.seconds,
        r.ceilingC.machineBusy,
      )}`,
    ],
    [
      "backfill: product sync, empty DB",
      int(r.backfill.runs),
      fixed(r.backfill.seconds),
      int(r.backfill.runsPerSec),
      `rows verified; ${syncNotes(r.backfill)}`,
    ],
    ["incremental: no-change sync", int(totalRuns), fixed(r.incremental.seconds), "–", syncNotes(r.incremental)],
  ];
  if (r.small) {
    rows.push([
      `backfill, small dataset (memory)`,
      int(r.small.runs),
      fixed(r.small.seconds),
      int(r.small.runsPerSec),
      `rows verified; ${syncNotes(r.small)}`,
    ]);
  }
  const table = formatTable(["measurement", "runs", "seconds", "runs/s", "notes"], rows, ["left", "right", "right", "right", "left"]);
  const minCeiling = Math.min(r.ceilingA.runsPerSec, r.ceilingB.runsPerSec);
  const which = r.ceilingA.runsPerSec <= r.ceilingB.runsPerSec ? "A" : "B";
  const lines = [
    `ratio backfill / min(A, B) = ${int(r.backfill.runsPerSec)} / ${int(minCeiling)} (${which}) = ${fixed(r.ratio)}   target ≥ ${TARGETS.ratio}   ${verdict(r.verdicts.ratio)}`,
    `(info) backfill / C = ${fixed(r.ratioC)}; C / min(A, B) = ${fixed(r.ceilingC.runsPerSec / minCeiling)} — what fetching and COPY cost together on ${CORES} cores`,
    `peak RSS: ${r.rss.smallMb !== undefined ? `${int(r.small?.runs ?? 0)} runs ${fixed(r.rss.smallMb, 1)} MB, ` : ""}${int(r.backfill.runs)} runs ${fixed(r.rss.largeMb, 1)} MB   target ≤ ${TARGETS.peakRssMb} MB   ${verdict(r.verdicts.peakRss)}`,
  ];
  if (r.rss.growthPct !== undefined && r.verdicts.rssGrowth !== undefined) {
    lines.push(
      `RSS growth small → full: ${signedPct(r.rss.growthPct)}   target ≤ ${TARGETS.rssGrowthPct}%   ${verdict(r.verdicts.rssGrowth)}`,
    );
  }
  lines.push(`incremental no-change cycle: ${int(r.incremental.requests)} requests, ${fixed(r.incremental.seconds)} s`);
  lines.push(
    `RSS during the backfill (MB at 25/50/75/100% of its wall time): ${rssQuartiles(r.backfill.rssTimeline)}` +
      (r.small ? `; small dataset: ${rssQuartiles(r.small.rssTimeline)}` : ""),
  );
  const head = `repeat ${r.index}/${p.repeats} — ${p.flows} flows × ${int(p.runsPerFlow)} runs = ${int(totalRuns)} runs · concurrency ${p.concurrency} · page size ${p.pageSize} · BIRD_MAX_RPS=0`;
  return `\n${head}\n${table}\n\n${lines.join("\n")}\n`;
}

function rssQuartiles(timeline: Array<[number, number]>): string {
  if (timeline.length === 0) return "–";
  const end = timeline[timeline.length - 1]?.[0] ?? 0;
  return [0.25, 0.5, 0.75, 1]
    .map((q) => {
      const point = timeline.find(([t]) => t >= q * end) ?? timeline[timeline.length - 1];
      return fixed(point?.[1] ?? 0, 0);
    })
    .join(" / ");
}

function summaryTable(results: RepeatResult[]): { text: string; medians: Record<string, number>; verdicts: Record<string, boolean> } {
  const metrics: Array<[string, (r: RepeatResult) => number | undefined, (n: number) => string]> = [
    ["ceiling A runs/s", (r) => r.ceilingA.runsPerSec, int],
    ["ceiling B runs/s", (r) => r.ceilingB.runsPerSec, int],
    ["ceiling C runs/s (info)", (r) => r.ceilingC.runsPerSec, int],
    ["backfill runs/s", (r) => r.backfill.runsPerSec, int],
    ["backfill seconds", (r) => r.backfill.seconds, (n) => fixed(n)],
    ["ratio backfill/min(A,B)", (r) => r.ratio, (n) => fixed(n)],
    ["backfill/C (info)", (r) => r.ratioC, (n) => fixed(n)],
    ["incremental requests", (r) => r.incremental.requests, int],
    ["incremental seconds", (r) => r.incremental.seconds, (n) => fixed(n)],
    ["peak RSS small MB", (r) => r.rss.smallMb, (n) => fixed(n, 1)],
    ["peak RSS full MB", (r) => r.rss.largeMb, (n) => fixed(n, 1)],
    ["RSS growth %", (r) => r.rss.growthPct, (n) => signedPct(n)],
  ];
  const medians: Record<string, number> = {};
  const rows = metrics.map(([name, get, fmt]) => {
    const values = results.map(get);
    const present = values.filter((v): v is number => v !== undefined);
    const m = median(present);
    medians[name] = m;
    return [name, ...values.map((v) => (v === undefined ? "–" : fmt(v))), present.length ? fmt(m) : "–"];
  });
  const header = ["metric", ...results.map((r) => `#${r.index}`), "median"];
  const text = formatTable(header, rows, ["left", ...results.map(() => "right" as const), "right"]);
  const verdicts: Record<string, boolean> = {
    ratio: (medians["ratio backfill/min(A,B)"] ?? 0) >= TARGETS.ratio,
    peakRss: Math.max(medians["peak RSS small MB"] ?? 0, medians["peak RSS full MB"] ?? 0) <= TARGETS.peakRssMb,
  };
  const growth = medians["RSS growth %"];
  if (growth !== undefined && Number.isFinite(growth)) verdicts.rssGrowth = growth <= TARGETS.rssGrowthPct;
  return { text, medians, verdicts };
}

function profileText(s: ProfileSummary, wallSeconds: number): string {
  const fnRows = s.topFunctions.map((f) => [fixed(f.ms, 0), pct(f.share, 1), f.name]);
  const areaRows = s.areas.map((a) => [fixed(a.ms, 0), pct(a.share, 1), a.name]);
  return [
    `\nCPU profile of one backfill (node --cpu-prof, ${fixed(wallSeconds)} s wall, ${fixed(s.busyMs / 1000)} s on CPU in the sync process): ${s.file}`,
    "self time by area:",
    formatTable(["ms", "share", "area"], areaRows, ["right", "right", "left"]),
    "",
    "top functions by self time:",
    formatTable(["ms", "share", "function"], fnRows, ["right", "right", "left"]),
    "",
  ].join("\n");
}

async function machineBusyNow(ms = 1000): Promise<number> {
  const a = machineCpu();
  await sleep(ms);
  return busyShare(a, machineCpu());
}

const IDLE_SHARE = 0.15;

/** Shared machines: other work on the cores skews every number, so optionally wait for a quiet moment. */
async function waitForIdle(maxSeconds: number): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000;
  for (;;) {
    const busy = await machineBusyNow();
    if (busy < IDLE_SHARE) return;
    if (Date.now() >= deadline) {
      process.stderr.write(`bench: machine still ${pct(busy)} busy after ${maxSeconds} s; measuring anyway\n`);
      return;
    }
    process.stderr.write(`bench: machine ${pct(busy)} busy, waiting for it to be idle…\n`);
    await sleep(2000);
  }
}

async function main(): Promise<number> {
  const params = parseParams(process.argv.slice(2));
  if (!params) return 0;
  installSignalHandlers();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the product first (npm run build)`);

  const startedAt = new Date().toISOString();
  const totalRuns = params.flows * params.runsPerFlow;
  const smallRuns = params.flows * params.smallRunsPerFlow;
  const admin = new PgAdmin(params.pgUrl);
  const pgVersion = (await admin.serverVersion()).split(" ")[0] ?? "?";
  const stale = await admin.dropStale();
  if (stale.length) process.stderr.write(`bench: dropped ${stale.length} scratch database(s) left by an earlier run\n`);

  const busyBefore = await machineBusyNow();
  const machine = {
    cores: CORES,
    cpuModel: cpus()[0]?.model ?? "?",
    memTotalMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    postgres: pgVersion,
    loadavgAtStart: loadavg(),
    busyShareBeforeStart: busyBefore,
  };
  process.stderr.write(
    `bench: ${CORES} cores, node ${process.version}, PostgreSQL ${pgVersion}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}, ${pct(busyBefore)} of CPU busy before start\n`,
  );
  if (busyBefore > IDLE_SHARE) {
    process.stderr.write(
      `bench: WARNING other processes use ${pct(busyBefore)} of the CPU: numbers will be noisy (see "other" in the notes)\n`,
    );
  }

  const workDir = mkdtempSync(join(tmpdir(), "bench-approvals-"));
  onCleanup(`remove ${workDir}`, () => rmSync(workDir, { recursive: true, force: true }));
  const fakeEnv = productEnv({});
  process.stderr.write(
    `bench: starting the fake API: ${params.flows} × ${int(params.runsPerFlow)} runs${smallRuns > 0 ? ` and ${params.flows} × ${int(params.smallRunsPerFlow)}` : ""}…\n`,
  );
  const [fake, smallFake] = await Promise.all([
    FakeProcess.start({
      cliPath: CLI,
      flows: params.flows,
      runsPerFlow: params.runsPerFlow,
      seed: params.seed,
      cwd: workDir,
      env: fakeEnv,
    }),
    smallRuns > 0
      ? FakeProcess.start({
          cliPath: CLI,
          flows: params.flows,
          runsPerFlow: params.smallRunsPerFlow,
          seed: params.seed,
          cwd: workDir,
          env: fakeEnv,
        })
      : Promise.resolve(undefined),
  ]);
  const paging = { concurrency: params.concurrency, pageSize: params.pageSize };
  // How every product backfill of this bench runs (the repeats and the profile).
  const common = { ...paging, cliPath: CLI, cwd: workDir, admin, nodeArgs: params.nodeArgs };

  process.stderr.write("bench: fetching the documents once for the COPY ceiling (not timed)…\n");
  const copyData = await collectCopyData(fake.info, paging);
  if (copyData.runs !== totalRuns) throw new Error(`the fake served ${copyData.runs} runs, expected ${totalRuns}`);

  const results: RepeatResult[] = [];
  const output = {
    tool: "bird-approvals-sync bench",
    startedAt,
    finishedAt: undefined as string | undefined,
    params: { ...params, pgUrl: redactUrl(params.pgUrl) },
    targets: TARGETS,
    machine,
    dataset: {
      full: {
        flows: params.flows,
        runsPerFlow: params.runsPerFlow,
        runs: totalRuns,
        fakeStartSeconds: fake.startSeconds,
        fakeRssMb: fake.rssMb(),
      },
      small: smallFake
        ? {
            flows: params.flows,
            runsPerFlow: params.smallRunsPerFlow,
            runs: smallRuns,
            fakeStartSeconds: smallFake.startSeconds,
            fakeRssMb: smallFake.rssMb(),
          }
        : null,
      copyText: { megabytes: copyData.bytes / 1e6, prepSeconds: copyData.seconds },
    },
    method: {
      ceilingA: "global fetch + JSON.parse in the bench process, pages of a flow in sequence, `concurrency` flows at a time, no database",
      ceilingB:
        "COPY … FROM STDIN (text format, pg submittable; no extra package) into bird.approval_runs of a freshly migrated scratch database, one connection and one COPY per flow, `concurrency` at a time; documents fetched once and pre-encoded (encoding not timed)",
      ceilingC:
        "informative: A and B at once — bare fetch of each flow (next page prefetched) streamed into one COPY per flow of a fresh scratch database, `concurrency` flows at a time; no validation, no upsert, no per-page transactions",
      backfill:
        "`node dist/cli.js sync --no-progress` child process, fresh scratch database (product migrates it), BIRD_MAX_RPS=0; wall time spawn → exit; rows counted afterwards",
      incremental:
        "the next `sync` on the same database with no upstream change; requests from the fake's /_fake/state after a counter reset",
      memory:
        "peak RSS = max(getrusage maxrss of the sync process via GNU time %M, VmHWM polled every 50 ms); small dataset = same flows, fewer runs per flow (same concurrency)",
      cpu: "CPU seconds from /proc: sync process (getrusage), fake process, PostgreSQL backends of the scratch database (polled every 250 ms, ≈); other = machine busy time not accounted for",
    },
    repeats: results,
    summary: undefined as unknown,
    profile: undefined as unknown,
    error: undefined as string | undefined,
  };
  const writeResults = (): void => {
    output.finishedAt = new Date().toISOString();
    mkdirSync(dirname(params.out), { recursive: true });
    writeFileSync(params.out, `${JSON.stringify(output, null, 2)}\n`);
  };

  try {
    for (let i = 1; i <= params.repeats; i++) {
      if (params.waitIdleSeconds > 0) await waitForIdle(params.waitIdleSeconds);
      process.stderr.write(`bench: repeat ${i}/${params.repeats}: ceiling A (bare fetch)…\n`);
      const ceilingA = await measureFetchCeiling(fake, paging);
      process.stderr.write(`bench: repeat ${i}/${params.repeats}: ceiling B (COPY)…\n`);
      const ceilingB = await measureCopyCeiling(admin, copyData, { concurrency: params.concurrency, cliPath: CLI, cwd: workDir });
      process.stderr.write(`bench: repeat ${i}/${params.repeats}: ceiling C (fetch → COPY at once)…\n`);
      const ceilingC = await measurePipelineCeiling(admin, fake, { ...paging, cliPath: CLI, cwd: workDir });
      process.stderr.write(`bench: repeat ${i}/${params.repeats}: product backfill + no-change incremental…\n`);
      const main = await measureBackfill({ ...common, fake, incremental: true, label: `repeat ${i}` });
      let small: RepeatResult["small"];
      if (smallFake) {
        process.stderr.write(`bench: repeat ${i}/${params.repeats}: product backfill of the small dataset (memory)…\n`);
        small = (await measureBackfill({ ...common, fake: smallFake, incremental: false, label: `repeat ${i} small` })).backfill;
      }
      const ratio = main.backfill.runsPerSec / Math.min(ceilingA.runsPerSec, ceilingB.runsPerSec);
      const largeMb = main.backfill.peakRssMb;
      const smallMb = small?.peakRssMb;
      const growthPct = smallMb !== undefined ? ((largeMb - smallMb) / smallMb) * 100 : undefined;
      const result: RepeatResult = {
        index: i,
        ceilingA,
        ceilingB,
        ceilingC,
        backfill: main.backfill,
        incremental: main.incremental as SyncRunResult,
        ...(small ? { small } : {}),
        ratio,
        ratioC: main.backfill.runsPerSec / ceilingC.runsPerSec,
        rss: { largeMb, ...(smallMb !== undefined ? { smallMb } : {}), ...(growthPct !== undefined ? { growthPct } : {}) },
        verdicts: {
          ratio: ratio >= TARGETS.ratio,
          peakRss: Math.max(largeMb, smallMb ?? 0) <= TARGETS.peakRssMb,
          ...(growthPct !== undefined ? { rssGrowth: growthPct <= TARGETS.rssGrowthPct } : {}),
        },
      };
      results.push(result);
      process.stdout.write(repeatTable(params, result, totalRuns));
      writeResults();
    }

    if (results.length > 1) {
      const s = summaryTable(results);
      output.summary = { medians: s.medians, verdicts: s.verdicts };
      const v = s.verdicts;
      process.stdout.write(
        `\nsummary over ${results.length} repeats\n${s.text}\n\n` +
          `median ratio ${fixed(s.medians["ratio backfill/min(A,B)"] ?? Number.NaN)} (≥ ${TARGETS.ratio}) ${verdict(v.ratio === true)} · ` +
          `peak RSS ≤ ${TARGETS.peakRssMb} MB ${verdict(v.peakRss === true)}` +
          (v.rssGrowth !== undefined ? ` · RSS growth ≤ ${TARGETS.rssGrowthPct}% ${verdict(v.rssGrowth)}` : "") +
          "\n",
      );
    }

    if (params.profile) {
      const dir = params.profileDir ?? mkdtempSync(join(tmpdir(), "bench-cpuprof-"));
      mkdirSync(dir, { recursive: true });
      process.stderr.write(`bench: profiling one backfill (node --cpu-prof → ${dir})…\n`);
      const before = new Set(readdirSync(dir));
      const prof = await measureBackfill({
        ...common,
        fake,
        incremental: false,
        label: "profile",
        cpuProfDir: dir,
      });
      const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile") && !before.has(f));
      if (!file) throw new Error(`no .cpuprofile appeared in ${dir}`);
      const summary = summarizeProfile(join(dir, file));
      output.profile = { wallSeconds: prof.backfill.seconds, runsPerSec: prof.backfill.runsPerSec, ...summary };
      process.stdout.write(profileText(summary, prof.backfill.seconds));
    }
    writeResults();
    process.stderr.write(`bench: results written to ${params.out}\n`);
    return 0;
  } catch (err) {
    output.error = (err as Error).stack ?? String(err);
    writeResults();
    throw err;
  } finally {
    await runCleanup();
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable)";
  }
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n(npm run bench -- --help for the options)\n`);
      process.exit(2);
    }
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    await runCleanup();
    process.exit(1);
  },
);
