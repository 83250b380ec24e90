// Issue 25 through the built CLI: a sync recorded with `--record-redact none` against the built-in fake
// in a hostile mode, replayed into an empty database, gives the same tables; `--replay-timing` serves
// the recorded failures too; `check --record` replays; a request the recording lacks fails loudly.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { startReplayApi } from "../src/fake/replay.js";
import { cliEnv, logLines, runCli } from "./helpers/cli.js";
import { daemonHarness } from "./helpers/daemon.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { replayInto, sessionsOf, verbatimViolations } from "./helpers/replay.js";
import { tableDigests } from "./helpers/tables.js";
import { waitFor } from "./helpers/wait.js";

// Two-ended listing starts on timing, which a fast replay would not repeat (README "Replaying").
const SETTINGS = { SYNC_PAGE_SIZE: "20", SYNC_TWO_ENDED_PAGES: "0" };
const HOSTILE = {
  rate5xx: 0.1,
  rateReset: 0.05,
  rateTruncated: 0.05,
  rateNotJson: 0.05,
  rateWrongShape: 0.05,
  invalidRecordsPerFlow: 2,
  duplicateAcrossPages: true,
};

let api: FakeBirdApi | undefined;
const daemons = daemonHarness();
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await daemons.cleanup();
  await api?.close();
  api = undefined;
});

const dirs: string[] = [];
const recordingFile = () => {
  dirs.push(mkdtempSync(join(tmpdir(), "bas-rec-")));
  return join(dirs.at(-1)!, "bird.jsonl.gz");
};

describe("a recording made with --record-redact none", () => {
  it("replays a hostile sync into an empty database with the same tables, and the invariants bite", async () => {
    api = await startFake({ flows: 2, runsPerFlow: 60, seed: 41, faults: HOSTILE });
    const file = recordingFile();
    const original = await freshDatabaseUrl();
    const recorded = await runCli(["sync", "--no-progress", "--record", file, "--record-redact", "none"], syncEnv(api, original, SETTINGS));
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(logLines(recorded.stderr).some((l) => l.level === 40 && /WITHOUT redaction/.test(String(l.msg)))).toBe(true);
    expect(Object.keys(api.counters.faults).length).toBeGreaterThan(2);
    await api.close();
    api = undefined;

    const replay = await freshDatabaseUrl();
    const replayed = await replayInto(file, replay);
    expect(replayed.commands.map((c) => c.result.code)).toEqual([0]);
    expect(replayed.counters).toMatchObject({ missed: 0, remaining: 0 });
    expect(replayed.counters.skipped).toBeGreaterThan(0);
    const tables = await tableDigests(original);
    expect(tables.sync_rejects!.rows).toBe(4);
    expect(await tableDigests(replay)).toEqual(tables);
    expect(await verbatimViolations(replay, file)).toEqual([]);

    // The invariants are not vacuous: a value that is not what the recording served is found.
    await query(
      replay,
      "update bird.approval_runs set object = '{\"tampered\":1}' where id = (select id from bird.approval_runs order by id limit 1)",
    );
    expect(await verbatimViolations(replay, file)).toHaveLength(1);
  });

  it("with --replay-timing serves the recorded failures in their places, and the tables are still equal", async () => {
    api = await startFake({ flows: 2, runsPerFlow: 60, seed: 42, faults: { rate5xx: 0.2, rateReset: 0.15, latencyMs: 5 } });
    const file = recordingFile();
    const original = await freshDatabaseUrl();
    const env = syncEnv(api, original, { ...SETTINGS, SYNC_PAGE_SIZE: "10" });
    expect((await runCli(["sync", "--no-progress", "--record", file, "--record-redact", "none"], env)).code).toBe(0);
    const failures = (api.counters.faults["5xx"] ?? 0) + (api.counters.faults.reset ?? 0);
    expect(failures).toBeGreaterThan(0);

    const replay = await freshDatabaseUrl();
    const replayed = await replayInto(file, replay, { timing: true });
    expect(replayed.counters).toMatchObject({ missed: 0, skipped: 0, remaining: 0 });
    const served = replayed.counters.byStatus;
    expect((served["500"] ?? 0) + (served["502"] ?? 0) + (served["503"] ?? 0) + (served.reset ?? 0)).toBe(failures);
    expect(await tableDigests(replay)).toEqual(await tableDigests(original));
  });
});

describe("check --record", () => {
  it("records the preflight's requests, and the replay gives the same checklist", async () => {
    api = await startFake({ flows: 2, runsPerFlow: 50, seed: 43, ignoreReverse: true });
    const file = recordingFile();
    const db = await freshDatabaseUrl();
    const checked = await runCli(["check", "--json", "--record", file], syncEnv(api, db));
    expect(checked.code).toBe(1); // reverse is ignored: degraded
    const sessions = await sessionsOf(file);
    expect(sessions.map((s) => [s.session.args, s.exitCode])).toEqual([[["check", "--json"], 1]]);
    expect(sessions[0]!.session.settings).not.toHaveProperty("BIRD_ACCESS_KEY");
    expect(gunzipSync(readFileSync(file)).toString("utf8")).not.toContain(api.accessKey);

    const replayed = await replayInto(file, db);
    expect(replayed.counters).toMatchObject({ missed: 0 });
    const [again] = replayed.commands;
    expect(again!.result.code).toBe(1);
    const statuses = (out: string) =>
      (JSON.parse(out) as { checks: Array<{ id: string; status: string }> }).checks.map((c) => [c.id, c.status]);
    expect(statuses(again!.result.stdout)).toEqual(statuses(checked.stdout));
  });

  it("a request the recording lacks gets 501 not_recorded: the sync fails loudly and stores nothing", async () => {
    api = await startFake({ flows: 1, runsPerFlow: 30, seed: 44 });
    const file = recordingFile();
    const db = await freshDatabaseUrl();
    expect((await runCli(["check", "--record", file], syncEnv(api, db))).code).toBe(0);
    const replay = await startReplayApi({ file });
    try {
      // check asked for pages of 100; a backfill of pages of 10 asks what it never did
      const env = cliEnv({
        BIRD_API_URL: replay.url,
        BIRD_ACCESS_KEY: "k",
        BIRD_ORGANIZATION_ID: api.organizationId,
        DATABASE_URL: db,
        BIRD_MAX_RPS: "0",
        SYNC_PAGE_SIZE: "10",
      });
      const sync = await runCli(["backfill", "--no-progress"], env);
      expect(sync.code).toBe(1);
      expect(sync.stderr).toMatch(/not_recorded: the recording has no answer for GET \/organizations\/.*\/runs\?limit=10/);
      expect(replay.counters.missed).toBeGreaterThan(0);
      expect(replay.counters.missedRequests[0]).toMatch(/^GET \/organizations\//);
      expect(await query(db, "select id from bird.approval_runs")).toEqual([]);
    } finally {
      await replay.close();
    }
  });

  it("refuses --record-redact without --record, and a file it cannot write, naming the flag", async () => {
    api = await startFake({ flows: 1, runsPerFlow: 5, seed: 45 });
    const db = await freshDatabaseUrl();
    const noFile = await runCli(["check", "--record-redact", "none"], syncEnv(api, db));
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/--record-redact.*needs --record FILE/);
    const unwritable = await runCli(["sync", "--no-progress", "--record", "/nonexistent-dir/x.jsonl.gz"], syncEnv(api, db));
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/--record \(SYNC_RECORD_FILE\) \/nonexistent-dir\/x\.jsonl\.gz cannot be written/);
    expect(api.counters.requests).toBe(0);
  });
});

describe("SYNC_RECORD_FILE in the daemon", () => {
  it("records the next SYNC_RECORD_CYCLES cycles, one session each, and they replay into the same runs", async () => {
    api = await startFake({ flows: 2, runsPerFlow: 60, seed: 46, faults: { invalidRecordsPerFlow: 1 } });
    const file = recordingFile();
    const db = await freshDatabaseUrl();
    const d = daemons.startDaemon(
      syncEnv(api, db, {
        ...SETTINGS,
        SYNC_SCHEDULE: "* * * * * *",
        METRICS_PORT: "0",
        SYNC_RECORD_FILE: file,
        SYNC_RECORD_CYCLES: "2",
        SYNC_RECORD_REDACT: "none",
      }),
    );
    await waitFor("the recording of two cycles", () => logLines(d.stderr()).some((l) => /^recording written/.test(String(l.msg))), 60_000);
    const written = logLines(d.stderr()).find((l) => /^recording written/.test(String(l.msg)));
    expect(written).toMatchObject({ cycles: 2, file });
    d.child.kill("SIGTERM");
    expect((await d.done).code).toBe(0);

    const sessions = await sessionsOf(file);
    expect(sessions.map((s) => [s.session.args, s.exitCode])).toEqual([
      [["sync"], 0],
      [["sync"], 0],
    ]);
    const replay = await freshDatabaseUrl();
    const replayed = await replayInto(file, replay);
    expect(replayed.commands.map((c) => c.result.code)).toEqual([0, 0]);
    expect(replayed.counters.missed).toBe(0);
    const [live, again] = [await tableDigests(db), await tableDigests(replay)];
    for (const table of ["approval_runs", "approval_flows", "sync_rejects"]) expect(again[table], table).toEqual(live[table]);
    expect(live.approval_runs!.rows).toBe(120);
  });
});
