// Issue 25: the recording file itself. Lines round-trip byte for byte (a body's UTF-8 is never decoded
// and encoded again on its way in), paths are relative to BIRD_API_URL, only harmless headers are kept,
// the key is scrubbed in every mode, commands append sessions, a cut-off file still reads.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { getJsonOnce } from "../src/bird/http.js";
import { FileRecorder } from "../src/bird/recorder.js";
import { type AttemptLine, parseLine, readRecording, requestKey } from "../src/bird/recording.js";

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

describe("a JSON answer", () => {
  const bodies = [
    ` \t{"results":[{"id":"x","object":{"s":"Zoë \\u0000 \\ud800 🐦 \\"q\\" \\\\ \u2028 }\\"","n":1.10,"e":-0.0e+0}}],"nextPageToken":"a/b"}  `,
    `[1,2.50,{"json":"}"}]`,
    `{"a":"pretty"\n}`, // JSON with a line break: written as a string
  ];

  it.each(["none", "default"] as const)("is written as the line's own JSON when on one line (redaction %s)", async (redact) => {
    const file = fileIn();
    const r = await FileRecorder.open({ file, apiUrl: BASE, accessKey: KEY, redact, logger: pino({ level: "silent" }) });
    for (const text of bodies) r.attempt(`${BASE}/organizations/o/approvals`)({ status: 200, headers: new Headers(), text, json: true });
    await r.close();
    const raw = gunzipSync(readFileSync(file)).toString("utf8").split("\n").filter(Boolean);
    expect(raw.map((l) => l.includes(',"json":'))).toEqual([true, true, false]);
    if (redact === "none") expect(raw[0]!.endsWith(`,"json":${bodies[0]}}`)).toBe(true);
    const read = (await readRecording(file)).lines.map((l) => (l as AttemptLine).body!);
    if (redact === "none") expect(read).toEqual(bodies);
    else {
      expect(read.map((b) => Buffer.byteLength(b))).toEqual(bodies.map((b) => Buffer.byteLength(b)));
      expect(read[0]).not.toContain("Zoë");
      expect(read[0]!.startsWith(' \t{"results":[{"id":"x","object":{"x":"Xxé \\u0000 \\ud800 𝑥 \\"x\\" \\\\ \u2028 }\\"')).toBe(true);
      for (const b of read) expect(() => JSON.parse(b)).not.toThrow();
    }
  });
});

describe("parseLine", () => {
  it("gives a JSON body back as its exact text, and refuses a line cut off after it", () => {
    const head = '{"method":"GET","path":"/a","at":"2026-01-01T00:00:00.000Z","ms":1,"status":200,"headers":{}';
    expect(parseLine(`${head},"json": {"a":[1.10, "}"]} }`)).toMatchObject({ path: "/a", status: 200, body: ' {"a":[1.10, "}"]} ' });
    expect(() => parseLine(`${head},"json":{"a":[1.10, "}"]}`)).toThrow(SyntaxError);
    expect(parseLine('{"json":[]}')).toEqual({ body: "[]" });
    expect(parseLine(`${head},"body":"x"}`)).toMatchObject({ body: "x" });
  });
});

describe("a recording being written", () => {
  it.each([
    ["this thread", "../src/bird/recorder.js"],
    ["the worker thread", "../dist/bird/recorder.js"],
  ])("is readable up to its last second before it is closed (a killed process loses at most that), on %s", async (_, module) => {
    const { FileRecorder: Recorder } = (await import(module)) as { FileRecorder: typeof FileRecorder };
    const file = fileIn();
    const r = await Recorder.open({ file, apiUrl: BASE, accessKey: KEY, redact: "default", logger: pino({ level: "silent" }) });
    r.beginSession(["sync"], {});
    const headers = new Headers({ "content-type": "application/json" });
    for (let i = 0; i < 3; i++)
      r.attempt(`${BASE}/organizations/o/approvals?i=${i}`)({ status: 200, headers, text: `{"results":[],"i":${i}}` });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const before = await readRecording(file);
    expect(before.truncated).toBe(false);
    expect(before.lines.map((l) => (l.type === undefined ? l.path : l.type))).toEqual([
      "session",
      "/organizations/o/approvals?i=0",
      "/organizations/o/approvals?i=1",
      "/organizations/o/approvals?i=2",
    ]);
    r.endSession(0);
    await r.close();
    expect((await readRecording(file)).lines).toHaveLength(5);
  });
});

describe("an answer recorded from the bytes the client read", () => {
  const bodies: Record<string, Buffer> = {
    plain: Buffer.from('{"s":"Zoë 🐦 \\"q\\""}', "utf8"),
    bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"s":"x"}')]),
    twoBoms: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from('{"s":"x"}')]),
    invalid: Buffer.concat([Buffer.from('{"s":"a'), Buffer.from([0xff, 0x20, 0xe2, 0x82]), Buffer.from('"}')]),
    empty: Buffer.alloc(0),
  };
  let server: Server;
  afterEach(() => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined))));

  // The worker thread's writer runs from dist/ (the built module finds recording-worker.js beside it).
  it.each([
    ["this thread", "../src/bird/recorder.js"],
    ["the worker thread", "../dist/bird/recorder.js"],
  ])("holds the text the client decoded (BOM dropped, invalid bytes replaced), written on %s", async (_, module) => {
    const { FileRecorder: Recorder } = (await import(module)) as { FileRecorder: typeof FileRecorder };
    server = createServer((req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(bodies[(req.url ?? "").slice(1)]);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const file = fileIn();
    const r = await Recorder.open({ file, apiUrl: base, accessKey: KEY, redact: "none", logger: pino({ level: "silent" }) });
    const read: string[] = [];
    for (const name of Object.keys(bodies)) {
      const url = `${base}/${name}`;
      const answer = await getJsonOnce(url, { headers: {}, timeoutMs: 5000, maxBytes: 1024, observe: r.attempt(url) });
      read.push(answer.text);
    }
    await r.close();
    const { lines } = await readRecording(file);
    expect(lines.map((l) => (l as AttemptLine).body)).toEqual(read);
    expect(read.slice(1, 3)).toEqual(['{"s":"x"}', '\ufeff{"s":"x"}']);
    expect(read[3]).toBe('{"s":"a\ufffd \ufffd"}');
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
