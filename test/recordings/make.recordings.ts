// Makes the recordings under test/recordings/ (`npm run recordings`): the built CLI syncs from the
// built-in fake in a hostile mode with `--record FILE --record-redact none`, command after command, and
// the tables it leaves become `<name>.expect.json`. A recording is kept only if its replay gives the same
// tables. recordings.test.ts replays every one of them on every test run.
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import type { FakeBirdApi, StartFakeOptions } from "../../src/fake/index.js";
import { runCli } from "../helpers/cli.js";
import { freshDatabaseUrl } from "../helpers/db.js";
import { startFake, syncEnv } from "../helpers/fake.js";
import { replayInto } from "../helpers/replay.js";
import { tableDigests } from "../helpers/tables.js";

interface Scenario {
  name: string;
  description: string;
  fake: StartFakeOptions;
  /** Settings of every command. Two-ended listing is off: it starts on timing, which a fast replay would not repeat. */
  env: Record<string, string>;
  steps: Array<{ before?: (api: FakeBirdApi) => void; args: string[] }>;
}

const DATA_TABLES = ["approval_runs", "approval_flows", "sync_rejects"];
const DETERMINISTIC = { SYNC_PAGE_SIZE: "20", SYNC_TWO_ENDED_PAGES: "0", SYNC_RECHECK_FACTOR: "0" };
const flow = (api: FakeBirdApi, i: number) => api.store.flowIds()[i] as string;
const run = (api: FakeBirdApi, f: number, r: number) => api.store.runs(flow(api, f))[r]?.id as string;

const SCENARIOS: Scenario[] = [
  {
    name: "ignored-reverse",
    description:
      "fake-api --ignore-reverse: backfill, then new and decided runs found by an incremental sync whose reverse=true is ignored, then check (degraded)",
    fake: { flows: 2, runsPerFlow: 120, seed: 25, ignoreReverse: true },
    env: DETERMINISTIC,
    steps: [
      { args: ["backfill"] },
      {
        before: (api) => {
          api.store.addRuns(flow(api, 0), 15);
          api.store.decideRuns(flow(api, 0), 3);
          api.store.addRuns(flow(api, 1), 5, { status: "approved" });
        },
        args: ["sync"],
      },
      { args: ["check", "--json"] },
    ],
  },
  {
    name: "429-storm",
    description:
      "a third of the requests answered 429 with Retry-After, in seconds for the backfill and as an HTTP date for the sync after it",
    fake: { flows: 2, runsPerFlow: 100, seed: 26, faults: { rate429: 0.3, retryAfter: "seconds", retryAfterSeconds: 1 } },
    env: DETERMINISTIC,
    steps: [
      { args: ["backfill"] },
      {
        before: (api) => {
          api.setFaults({ retryAfter: "http-date" });
          api.store.addRuns(flow(api, 1), 12);
        },
        args: ["sync"],
      },
    ],
  },
  {
    name: "unstorable",
    description:
      "runs PostgreSQL can't store (a NUL and a lone surrogate in object, a NUL in a tag) and schema-invalid records, quarantined; then fixed and reconciled",
    fake: { flows: 2, runsPerFlow: 100, seed: 27, faults: { invalidRecordsPerFlow: 2 } },
    env: DETERMINISTIC,
    steps: [
      {
        before: (api) => {
          api.store.editRun(flow(api, 0), run(api, 0, 10), { object: { note: "nul\u0000here", amount: 1.1 } });
          api.store.editRun(flow(api, 0), run(api, 0, 20), { object: { lone: "\ud800", n: 0.1 + 0.2 } });
          api.store.editRun(flow(api, 1), run(api, 1, 30), { tags: [{ key: "k", value: "v\u0000" }] });
        },
        args: ["backfill"],
      },
      {
        before: (api) => {
          api.store.fixInvalidRecord(flow(api, 0), 0);
          api.store.editRun(flow(api, 0), run(api, 0, 10), { object: { note: "fixed" } });
        },
        args: ["sync", "--full"],
      },
    ],
  },
];

let api: FakeBirdApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

for (const s of SCENARIOS) {
  it(`records ${s.name}`, async () => {
    const file = new URL(`./${s.name}.jsonl.gz`, import.meta.url).pathname;
    rmSync(file, { force: true });
    api = await startFake(s.fake);
    const url = await freshDatabaseUrl();
    const exitCodes: Array<number | null> = [];
    for (const step of s.steps) {
      step.before?.(api);
      const quiet = step.args[0] === "check" ? [] : ["--no-progress"];
      const r = await runCli([...step.args, ...quiet, "--record", file, "--record-redact", "none"], syncEnv(api, url, s.env));
      exitCodes.push(r.code);
    }
    const tables = await tableDigests(url);
    const replay = await freshDatabaseUrl();
    const replayed = await replayInto(file, replay);
    expect(replayed.counters.missed).toBe(0);
    expect(replayed.commands.map((c) => c.result.code)).toEqual(exitCodes);
    expect(await tableDigests(replay)).toEqual(tables);
    const made = s.steps.map((step) => `approvals-sync ${step.args.join(" ")}`).join("; ");
    // The data, not the bookkeeping: how passes, cursors and page tokens are kept may change with the
    // engine; what Bird's answers become in the tables may not.
    const data = Object.fromEntries(DATA_TABLES.map((t) => [t, tables[t]]));
    const expectation = { description: s.description, made: `${made} (fake-api ${JSON.stringify(s.fake)})`, exitCodes, tables: data };
    const expectFile = file.replace(/\.jsonl\.gz$/, ".expect.json");
    writeFileSync(expectFile, `${JSON.stringify(expectation, null, 2)}\n`);
    execFileSync(fileURLToPath(new URL("../../node_modules/.bin/biome", import.meta.url)), ["format", "--write", expectFile]);
  });
}
