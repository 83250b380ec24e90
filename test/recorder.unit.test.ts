// Issue 25: the recording file itself. Lines round-trip byte for byte (a body's UTF-8 is never decoded
// and encoded again on its way in), paths are relative to BIRD_API_URL, only harmless headers are kept,
// the key is scrubbed in every mode, commands append sessions, a cut-off file still reads.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { FileRecorder } from "../src/bird/recorder.js";
import { type AttemptLine, readRecording, requestKey } from "../src/bird/recording.js";

const KEY = "key-Qx81-very-secret";
const BASE = "http://127.0.0.1:9/bird/v1";
const dirs: string[] = [];
const fileIn = () => {
  dirs.push(mkdtempSync(join(tmpdir(), "bas-recorder-")));
  return join(dirs.at(-1)!, "r.jsonl.gz");
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function record(file: string, redact: "default" | "none", body: string, exitCode: number): Promise<void> {
  const r = await FileRecorder.open({ file, apiUrl: BASE, accessKey: KEY, redact, logger: pino({ level: "silent" }) });
  r.beginSession(["sync"], { SYNC_PAGE_SIZE: "7" });
  const headers = new Headers({
    "content-type": "application/json",
    "set-cookie": `s=${KEY}`,
    "retry-after": "3",
    "x-ratelimit-limit": "50",
  });
  r.attempt(`${BASE}/organizations/o/approvals/f/runs?limit=7&pageToken=a%2Fb`)({ status: 200, headers, text: body });
  r.attempt(`${BASE}/organizations/o/approvals`)({ error: `network error: socket hang up near ${KEY}` });
  r.endSession(exitCode);
  await r.close();
}

describe("a recording file", () => {
  const body = `{"results":[{"id":"x","object":{"s":"Zoë \\u0000 \\ud800 🐦 \\"q\\" \\\\ ${KEY}","n":1.10}}],"nextPageToken":"a/b"}`;

  it("holds each attempt with its body byte for byte, its path relative to BIRD_API_URL, and no credential", async () => {
    const file = fileIn();
    await record(file, "none", body, 0);
    const { lines, truncated } = await readRecording(file);
    expect(truncated).toBe(false);
    expect(lines.map((l) => l.type ?? "attempt")).toEqual(["session", "attempt", "attempt", "end"]);
    const [ok, failed] = lines.slice(1, 3) as AttemptLine[];
    expect(ok).toMatchObject({
      method: "GET",
      path: "/organizations/o/approvals/f/runs?limit=7&pageToken=a%2Fb",
      status: 200,
      headers: { "content-type": "application/json", "retry-after": "3", "x-ratelimit-limit": "50" },
      body: body.replace(KEY, "*".repeat(KEY.length)),
    });
    expect(failed).toMatchObject({ status: null, error: `network error: socket hang up near ${"*".repeat(KEY.length)}` });
    expect(lines[3]).toMatchObject({ type: "end", exitCode: 0, attempts: 2 });
    expect(readFileSync(file).includes(KEY)).toBe(false);
  });

  it("grows by one session per command, and a file cut off mid-way still gives the lines before the cut", async () => {
    const file = fileIn();
    await record(file, "none", body, 0);
    await record(file, "default", body, 1);
    const { lines } = await readRecording(file);
    expect(lines.filter((l) => l.type === "end").map((l) => (l.type === "end" ? l.exitCode : undefined))).toEqual([0, 1]);
    const redacted = (lines[5] as AttemptLine).body!;
    expect(redacted).not.toContain("Zoë");
    expect(Buffer.byteLength(redacted)).toBe(Buffer.byteLength(body));

    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, whole.length - 40));
    const cut = await readRecording(file);
    expect(cut.truncated).toBe(true);
    expect(cut.lines.slice(0, 4)).toEqual(lines.slice(0, 4));
  });
});

describe("requestKey", () => {
  it("matches a request whatever the order of its query parameters, and nothing else", () => {
    expect(requestKey("get", "/a/runs?limit=10&pageToken=x&reverse=true")).toBe(
      requestKey("GET", "/a/runs?reverse=true&pageToken=x&limit=10"),
    );
    expect(requestKey("GET", "/a/runs?limit=10")).not.toBe(requestKey("GET", "/a/runs?limit=100"));
    expect(requestKey("GET", "/a/runs")).not.toBe(requestKey("GET", "/a/runs/"));
  });
});
