// Issue 25's recording cost: the same backfill with and without `--record FILE` (default redaction),
// interleaved so the machine's load falls on both alike, and in ABBA order (every other pair runs the
// recorded backfill first), so whatever the first run of a pair leaves behind (dirty pages, a database
// being dropped) falls on both alike too; fake API in its own process.
//
// Two paces. CPU-bound (the verdict): BIRD_MAX_RPS=0 and a fake that answers at once, so the sync,
// PostgreSQL and the fake fill this machine's two cores and the recording's CPU comes out of the wall
// time. Judged on the median of the pairs' ratios (target ≤ 1.10) with a distribution-free interval: one
// pair's ratio wanders by ±0.1 with the host's load, so three pairs (the old default) gave any verdict
// near the line. Bird's pace (shown beside it): 100 ms per answer and BIRD_MAX_RPS=50, as
// `bench:api-bound` paces the fake; the sync waits on the API, as it does against Bird.
// Also printed: median wall seconds, each pair's ratio, the sync process's CPU seconds, the recording's
// own CPU per 1,000 runs (less noisy than wall time), and the recording's size. Printed, not asserted.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { productEnv } from "./child-env.js";
import { installSignalHandlers, runCleanup } from "./cleanup.js";
import { FakeProcess } from "./fake-process.js";
import { PgAdmin } from "./pg-admin.js";
import { measureBackfill } from "./product-sync.js";
import { fixed, int, median, medianInterval } from "./report.js";
import { printTargetTable, runScenario } from "./scenario.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const FLOWS = Number(process.env.BENCH_RECORD_FLOWS ?? 4);
const RUNS = Number(process.env.BENCH_RECORD_RUNS ?? 5000);
const PAIRS = Number(process.env.BENCH_RECORD_PAIRS ?? 8);
// Bird's pace: few pairs are enough, the wall time is the API's.
const PACED_PAIRS = Number(process.env.BENCH_RECORD_PACED_PAIRS ?? 2);
const PACED_LATENCY_MS = 100;
const PACED_MAX_RPS = 50;

interface Pairs {
  plain: number[];
  recorded: number[];
  ratios: number[];
  cpu: { plain: number[]; recorded: number[] };
  bytes: number[];
}

/** `pairs` interleaved backfills against `fake`, without and with `--record`, in ABBA order. */
async function measurePairs(fake: FakeProcess, cwd: string, admin: PgAdmin, pairs: number, maxRps: number, label: string): Promise<Pairs> {
  const common = { cliPath: CLI, cwd, admin, fake, concurrency: 4, pageSize: 100, maxRps, incremental: false };
  const out: Pairs = { plain: [], recorded: [], ratios: [], cpu: { plain: [], recorded: [] }, bytes: [] };
  for (let i = 1; i <= pairs; i++) {
    process.stderr.write(`bench:record ${label} pair ${i}/${pairs}…\n`);
    const file = join(cwd, `r${i}.jsonl.gz`);
    const runPlain = async () => (await measureBackfill({ ...common, label: `plain ${i}` })).backfill;
    const runRecorded = async () => (await measureBackfill({ ...common, label: `record ${i}`, syncArgs: ["--record", file] })).backfill;
    const recordedFirst = i % 2 === 0;
    const first = await (recordedFirst ? runRecorded() : runPlain());
    const second = await (recordedFirst ? runPlain() : runRecorded());
    const [a, b] = recordedFirst ? [second, first] : [first, second];
    out.plain.push(a.seconds);
    out.recorded.push(b.seconds);
    out.ratios.push(b.seconds / a.seconds);
    out.cpu.plain.push(a.cpu.sync);
    out.cpu.recorded.push(b.cpu.sync);
    out.bytes.push(statSync(file).size);
    rmSync(file);
  }
  return out;
}

/** The recording's CPU seconds per 1,000 runs: the median of the pairs' differences. */
const cpuPer1000 = (p: Pairs, runs: number) => median(p.cpu.recorded.map((c, i) => c - (p.cpu.plain[i] as number))) / (runs / 1000);

async function main(): Promise<number> {
  installSignalHandlers();
  const cwd = mkdtempSync(join(tmpdir(), "bench-record-"));
  const admin = new PgAdmin(process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const env = productEnv({});
  const fakes: FakeProcess[] = [];
  try {
    const fast = await FakeProcess.start({ cliPath: CLI, flows: FLOWS, runsPerFlow: RUNS, seed: 1, cwd, env });
    fakes.push(fast);
    const cpuBound = await measurePairs(fast, cwd, admin, PAIRS, 0, "CPU-bound");
    await fast.stop();
    const paced = await FakeProcess.start({
      cliPath: CLI,
      flows: FLOWS,
      runsPerFlow: RUNS,
      seed: 1,
      cwd,
      env,
      faults: { latencyMs: PACED_LATENCY_MS },
    });
    fakes.push(paced);
    const birdPaced = PACED_PAIRS > 0 ? await measurePairs(paced, cwd, admin, PACED_PAIRS, PACED_MAX_RPS, "Bird's pace") : undefined;

    const ratio = median(cpuBound.ratios);
    const interval = medianInterval(cpuBound.ratios);
    const runs = fast.runs;
    printTargetTable(`Recording cost (issue 25): backfill of ${int(runs)} runs, with and without --record, interleaved pairs`, [
      [`CPU-bound (BIRD_MAX_RPS=0, ${PAIRS} pairs): ratio, the median of the pairs' ratios`, fixed(ratio), "≤ 1.10"],
      [
        "  interval for that median (order statistics, distribution-free)",
        interval ? `${fixed(interval.low)}–${fixed(interval.high)} (${Math.round(interval.level * 100)}%)` : "too few pairs",
        "",
      ],
      ["  each pair's ratio (even pairs ran the recorded backfill first)", cpuBound.ratios.map((r) => fixed(r)).join(", "), ""],
      ["  backfill seconds, without / with (medians)", `${fixed(median(cpuBound.plain))} / ${fixed(median(cpuBound.recorded))}`, ""],
      [
        "  sync process CPU seconds, without / with (medians)",
        `${fixed(median(cpuBound.cpu.plain))} / ${fixed(median(cpuBound.cpu.recorded))}`,
        "",
      ],
      ["  the recording's CPU per 1,000 runs", `${int(cpuPer1000(cpuBound, runs) * 1000)} ms`, ""],
      ...(birdPaced
        ? ([
            [
              `Bird's pace (${PACED_LATENCY_MS} ms per answer, BIRD_MAX_RPS=${PACED_MAX_RPS}, ${PACED_PAIRS} pairs): each pair's ratio`,
              birdPaced.ratios.map((r) => fixed(r)).join(", "),
              "",
            ],
            [
              "  backfill seconds, without / with (medians)",
              `${fixed(median(birdPaced.plain))} / ${fixed(median(birdPaced.recorded))}`,
              "",
            ],
            ["  the recording's CPU per 1,000 runs", `${int(cpuPer1000(birdPaced, runs) * 1000)} ms`, ""],
          ] as const)
        : []),
      ["recording size per 1,000 runs", `${int(median(cpuBound.bytes) / (runs / 1000) / 1000)} kB`, ""],
    ]);
    console.log(ratio <= 1.1 ? "PASS" : "FAIL");
    return 0;
  } finally {
    for (const fake of fakes) await fake.stop();
    await runCleanup();
    rmSync(cwd, { recursive: true, force: true });
  }
}

runScenario(main);
