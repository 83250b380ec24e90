// Issue 25: the daemon records its next SYNC_RECORD_CYCLES cycles, or those that start within
// SYNC_RECORD_FOR of its start, whichever ends first; a cycle is recorded whole, and the file is closed
// when the window ends (at once when idle, after the cycle when one is running).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { FileRecorder } from "../src/bird/recorder.js";
import { type SessionLine, readRecording } from "../src/bird/recording.js";
import { loadConfig } from "../src/config.js";
import { CycleRecording, type RecordingLimits } from "../src/daemon/recording.js";
import type { CycleOutcome } from "../src/sync/outcome.js";

const logger = pino({ level: "silent" });
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A daemon's recording on a clock the test moves; each cycle makes one request and takes `cycleMs`. */
async function daemonRecording(limits: RecordingLimits, cycleMs = 1000) {
  dirs.push(mkdtempSync(join(tmpdir(), "bas-daemon-rec-")));
  const file = join(dirs.at(-1) as string, "d.jsonl.gz");
  const recorder = await FileRecorder.open({ file, apiUrl: "http://127.0.0.1:9", accessKey: "k-123456", redact: "default", logger });
  const clock = { now: 1_000_000 };
  let cycle = 0;
  const run = new CycleRecording(recorder, limits, { SYNC_PAGE_SIZE: "100" }, logger, () => clock.now).wrap(
    async () => {
      cycle++;
      recorder.attempt(`http://127.0.0.1:9/organizations/o/approvals?cycle=${cycle}`)({
        status: 200,
        headers: new Headers({ "content-type": "application/json" }),
        text: `{"results":[],"cycle":${cycle}}`,
      });
      clock.now += cycleMs;
    },
    (): CycleOutcome => "ok",
  );
  const cycles = async (n: number, gapMs: number) => {
    for (let i = 0; i < n; i++) {
      await run(new AbortController().signal, "scheduled");
      clock.now += gapMs;
    }
  };
  const sessions = async () => {
    const { lines } = await readRecording(file);
    const starts = lines.filter((l): l is SessionLine => l.type === "session").length;
    const ends = lines.filter((l) => l.type === "end").length;
    const paths = lines.flatMap((l) => (l.type === undefined ? [l.path] : []));
    return { starts, ends, paths };
  };
  return { cycles, sessions };
}

describe("the daemon's recording", () => {
  it("keeps SYNC_RECORD_CYCLES cycles, then syncs on unrecorded", async () => {
    const d = await daemonRecording({ cycles: 2 });
    await d.cycles(4, 0);
    expect(await d.sessions()).toEqual({
      starts: 2,
      ends: 2,
      paths: ["/organizations/o/approvals?cycle=1", "/organizations/o/approvals?cycle=2"],
    });
  });

  it("keeps the cycles that start within SYNC_RECORD_FOR, the last one whole", async () => {
    const d = await daemonRecording({ forMs: 5000 });
    // Cycles of a second start at 0, 2 and 4 s (recorded: within the window, the third ends as it
    // closes) and 6 s (not recorded).
    await d.cycles(4, 1000);
    expect(await d.sessions()).toEqual({
      starts: 3,
      ends: 3,
      paths: ["/organizations/o/approvals?cycle=1", "/organizations/o/approvals?cycle=2", "/organizations/o/approvals?cycle=3"],
    });
  });

  it("stops at whichever limit comes first", async () => {
    const d = await daemonRecording({ cycles: 1, forMs: 60_000 });
    await d.cycles(3, 0);
    expect((await d.sessions()).starts).toBe(1);
  });

  it("closes the file when the window ends while the daemon idles", async () => {
    // Cycles that take no time on the test's clock: only the window's own timer can end the recording.
    const d = await daemonRecording({ forMs: 50 }, 0);
    await d.cycles(1, 0);
    // Closed while idle: written whole before a batch's own second is up (polled, for a busy machine).
    let written = await d.sessions();
    for (const started = Date.now(); written.starts === 0 && Date.now() - started < 900; written = await d.sessions()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(written).toMatchObject({ starts: 1, ends: 1 });
    // The next cycle is not recorded: past a batch's second, an open recording would have written it.
    await d.cycles(1, 0);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(await d.sessions()).toMatchObject({ starts: 1, ends: 1 });
  });
});

describe("SYNC_RECORD_FOR and SYNC_RECORD_CYCLES", () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ env: { BIRD_ACCESS_KEY: "key-1234567890", BIRD_ORGANIZATION_ID: "org-1", ...env }, cwd: "/nonexistent" }).record;

  it("record one cycle when neither is set, no more cycles than told, for as long as told", () => {
    expect(load({ SYNC_RECORD_FILE: "r.gz" })).toMatchObject({ cycles: 1 });
    expect(load({ SYNC_RECORD_FILE: "r.gz" })?.forMs).toBeUndefined();
    expect(load({ SYNC_RECORD_FILE: "r.gz", SYNC_RECORD_FOR: "30m" })).toEqual({
      file: "/nonexistent/r.gz",
      forMs: 1_800_000,
      redact: "default",
    });
    expect(load({ SYNC_RECORD_FILE: "r.gz", SYNC_RECORD_FOR: "1h", SYNC_RECORD_CYCLES: "3" })).toMatchObject({
      cycles: 3,
      forMs: 3_600_000,
    });
  });

  it("refuses a SYNC_RECORD_FOR that is not a duration, naming it", () => {
    expect(() => load({ SYNC_RECORD_FILE: "r.gz", SYNC_RECORD_FOR: "soon" })).toThrow(/SYNC_RECORD_FOR.*duration/);
  });
});
