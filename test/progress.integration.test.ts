// Issue 15 (5): more flows than SYNC_CONCURRENCY — every flow's final line survives, and an overall
// line says how far the whole sync is (flows done / total, runs, rate).
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { CLI, logLines, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";

describe("8 flows, 2 at a time", () => {
  let api: FakeBirdApi;
  beforeAll(async () => {
    api = await startFake({ flows: 8, runsPerFlow: 120, seed: 155 });
  });
  afterAll(async () => api.close());

  it("logs (no TTY) every flow's completion and an overall line per finished flow", async () => {
    const url = await freshDatabaseUrl();
    const r = await runCli(["sync"], syncEnv(api, url, { SYNC_CONCURRENCY: "2", SYNC_PAGE_SIZE: "50" }));
    expect(r.code).toBe(0);
    const lines = logLines(r.stderr);
    const completed = lines.filter((l) => l.msg === "full pass completed").map((l) => l.flowId);
    expect(new Set(completed).size).toBe(8);
    // One overall line per finished flow (the every-5-s lines, which a slow machine adds, carry no flowFinished).
    const overall = lines.filter((l) => typeof l.flowFinished === "string");
    expect(overall.map((l) => l.flowsDone)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(overall.every((l) => l.flowsTotal === 8)).toBe(true);
    expect(new Set(overall.map((l) => l.flowFinished)).size).toBe(8);
    expect(overall.at(-1)).toMatchObject({
      runs: 960,
      msg: expect.stringMatching(/^sync progress: 8\/8 flows done, 960 runs, \d+ runs\/s$/),
    });
  });

  it("on a terminal, keeps each flow's final bar and the log lines above the bars", async () => {
    const url = await freshDatabaseUrl();
    // script(1) gives the CLI a pseudo-terminal; its transcript is what the user saw, redraws included.
    const env = { ...syncEnv(api, url, { SYNC_CONCURRENCY: "2", SYNC_PAGE_SIZE: "50", LOG_FORMAT: "json" }), TERM: "dumb", COLUMNS: "200" };
    // Asynchronous: the fake API answers from this very process.
    const child = spawn("script", ["-qefc", `${process.execPath} ${CLI} sync`, "/dev/null"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let transcript = "";
    child.stdout.on("data", (d: Buffer) => (transcript += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    const out = { stdout: transcript };
    // cli-progress redraws with cursor-up sequences; a line is lost when a redraw overwrites it, so
    // replay the transcript on a virtual screen and read what stays.
    const screen = replay(out.stdout);
    const finals = screen.filter((l) => / completed$/.test(l.trim()));
    expect(new Set(finals.map((l) => l.trim().split(" ")[0])).size).toBe(8);
    expect(screen.filter((l) => l.includes('"msg":"full pass completed"'))).toHaveLength(8);
    expect(screen.some((l) => /all flows .* 8\/8 flows · 960 runs/.test(l))).toBe(true);
  });
});

/** A minimal terminal: applies \r, \n, cursor up (ESC[nA), erase line (ESC[2K / ESC[0K) and ignores other escapes. */
function replay(transcript: string): string[] {
  const rows: string[] = [""];
  let row = 0;
  let col = 0;
  const re = /\x1b\[(\d*)([A-Za-z])|\x1b\[\?\d+[hl]|\r\n|\r|\n|[^\x1b\r\n]+/g;
  for (const m of transcript.matchAll(re)) {
    const t = m[0];
    if (m[2]) {
      const n = Number(m[1] || 1);
      if (m[2] === "A") row = Math.max(0, row - n);
      else if (m[2] === "B") row += n;
      else if (m[2] === "G") col = n - 1;
      else if (m[2] === "K") rows[row] = (rows[row] ?? "").slice(0, m[1] === "2" ? 0 : col);
      else if (m[2] === "J") rows.length = row + 1;
    } else if (t.startsWith("\x1b")) {
      continue;
    } else if (t === "\r\n" || t === "\n") {
      row++;
      col = 0;
    } else if (t === "\r") {
      col = 0;
    } else {
      const line = (rows[row] ?? "").padEnd(col, " ");
      rows[row] = line.slice(0, col) + t + line.slice(col + t.length);
      col += t.length;
    }
    while (rows.length <= row) rows.push("");
  }
  return rows;
}
