// Issue 25's recording cost: the same backfill with and without `--record FILE` (default redaction),
// interleaved so the machine's load falls on both alike, and in ABBA order (every other pair runs the
// recorded backfill first), so whatever the first run of a pair leaves behind (dirty pages, a database
// being dropped) falls on both alike too; fake API in its own process, BIRD_MAX_RPS=0.
// The verdict is on the median of the pairs' ratios (target ≤ 1.10), with a distribution-free 90% interval:
// on this 2-core machine one pair's ratio wanders by ±0.1 with the host's load, so three pairs (the old
// default) gave any verdict near the line; eight pairs bound the median to a few hundredths. Also printed:
// median wall seconds and their ratio, each pair's ratio, the sync process's CPU seconds and the
// recording's own CPU per 1,000 runs (less noisy than wall time), and the recording's size. Printed, not
// asserted.
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

async function main(): Promise<number> {
  installSignalHandlers();
  const cwd = mkdtempSync(join(tmpdir(), "bench-record-"));
  const admin = new PgAdmin(process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const fake = await FakeProcess.start({ cliPath: CLI, flows: FLOWS, runsPerFlow: RUNS, seed: 1, cwd, env: productEnv({}) });
  const common = { cliPath: CLI, cwd, admin, fake, concurrency: 4, pageSize: 100, incremental: false };
  const plain: number[] = [];
  const recorded: number[] = [];
  const cpu = { plain: [] as number[], recorded: [] as number[] };
  const bytes: number[] = [];
  try {
    for (let i = 1; i <= PAIRS; i++) {
      process.stderr.write(`bench:record pair ${i}/${PAIRS}…\n`);
      const file = join(cwd, `r${i}.jsonl.gz`);
      const runPlain = async () => (await measureBackfill({ ...common, label: `plain ${i}` })).backfill;
      const runRecorded = async () => (await measureBackfill({ ...common, label: `record ${i}`, syncArgs: ["--record", file] })).backfill;
      const recordedFirst = i % 2 === 0;
      const first = await (recordedFirst ? runRecorded() : runPlain());
      const second = await (recordedFirst ? runPlain() : runRecorded());
      const [a, b] = recordedFirst ? [second, first] : [first, second];
      plain.push(a.seconds);
      recorded.push(b.seconds);
      cpu.plain.push(a.cpu.sync);
      cpu.recorded.push(b.cpu.sync);
      bytes.push(statSync(file).size);
      rmSync(file);
    }
    const ratios = recorded.map((r, i) => r / (plain[i] as number));
    const ratio = median(ratios);
    const interval = medianInterval(ratios);
    const cpuPer1000 = median(cpu.recorded.map((c, i) => c - (cpu.plain[i] as number))) / (fake.runs / 1000);
    printTargetTable(`Recording cost (issue 25): backfill of ${int(fake.runs)} runs, ${PAIRS} interleaved pairs`, [
      ["ratio with / without --record (median of the pairs' ratios)", fixed(ratio), "≤ 1.10"],
      [
        "interval for that median (order statistics, distribution-free)",
        interval ? `${fixed(interval.low)}–${fixed(interval.high)} (${Math.round(interval.level * 100)}%)` : "too few pairs",
        "",
      ],
      ["each pair's ratio (even pairs ran the recorded backfill first)", ratios.map((r) => fixed(r)).join(", "), ""],
      ["backfill seconds, without / with --record (medians)", `${fixed(median(plain))} / ${fixed(median(recorded))}`, ""],
      ["ratio of those medians", fixed(median(recorded) / median(plain)), ""],
      ["sync process CPU seconds, without / with (medians)", `${fixed(median(cpu.plain))} / ${fixed(median(cpu.recorded))}`, ""],
      ["the recording's CPU per 1,000 runs (median of the pairs' differences)", `${int(cpuPer1000 * 1000)} ms`, ""],
      ["recording size per 1,000 runs", `${int(median(bytes) / (fake.runs / 1000) / 1000)} kB`, ""],
    ]);
    console.log(ratio <= 1.1 ? "PASS" : "FAIL");
    return 0;
  } finally {
    await fake.stop();
    await runCleanup();
    rmSync(cwd, { recursive: true, force: true });
  }
}

runScenario(main);
