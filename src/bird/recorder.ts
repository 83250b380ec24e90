// `--record FILE` (issue 25): every HTTP attempt to Bird, as recording.ts describes, gzip-compressed as
// it goes. Compression runs on libuv's thread pool; the sync only waits when the compressor is behind.
// The access key never reaches the file: request headers are not recorded, the path is relative to
// BIRD_API_URL, and the key is scrubbed from whatever text is kept, in every redaction mode.
import { once } from "node:events";
import { type WriteStream, createWriteStream } from "node:fs";
import { type Gzip, constants, createGzip } from "node:zlib";
import type { Logger } from "pino";
import type { RawOutcome } from "./http.js";
import { type AttemptLine, type EndLine, RECORDING_FORMAT, RECORDING_VERSION, type SessionLine } from "./recording.js";
import { redactAnswer } from "./redact.js";

export type RedactMode = "default" | "none";

/** What the HTTP client tells a recording; a client without one records nothing. */
export interface Recorder {
  /** An attempt is being sent to `url`; call the returned function once with what came back. */
  attempt(url: string): (outcome: RawOutcome) => void;
  /** Resolves when the recording can take more: a recording may slow a sync down, never grow without bound. */
  ready(): Promise<void> | undefined;
}

export interface FileRecorderOptions {
  file: string;
  apiUrl: string;
  accessKey: string;
  redact: RedactMode;
  logger: Logger;
}

// Headers worth keeping: rate limits, and what the body is. Never a cookie or anything credential-like.
const KEPT_HEADER = /^(retry-after|x-rate-?limit-.+|ratelimit(-.+)?|content-type|content-length)$/i;
// A killed process leaves a readable file up to the last flush.
const FLUSH_EVERY_MS = 1000;

export class FileRecorder implements Recorder {
  private attempts = 0;
  private lastFlush = Date.now();
  private failed = false;
  private closed = false;
  private readonly basePath: string;

  private constructor(
    private readonly opts: FileRecorderOptions,
    private readonly gzip: Gzip,
    private readonly out: WriteStream,
  ) {
    this.basePath = new URL(opts.apiUrl).pathname.replace(/\/+$/, "");
    const fail = (err: Error) => {
      if (this.failed) return;
      this.failed = true;
      opts.logger.error({ file: opts.file, err: err.message }, "recording stopped: the file cannot be written; the sync goes on");
    };
    gzip.on("error", fail);
    out.on("error", fail);
  }

  /** Opens FILE for appending (a new gzip member after what it holds); throws when it cannot be written. */
  static async open(opts: FileRecorderOptions): Promise<FileRecorder> {
    const out = createWriteStream(opts.file, { flags: "a" });
    await Promise.race([once(out, "open"), once(out, "error").then(([err]) => Promise.reject(err as Error))]);
    const gzip = createGzip({ level: 1 });
    gzip.pipe(out);
    if (opts.redact === "none") {
      opts.logger.warn({ file: opts.file }, "recording WITHOUT redaction: the file holds every run's free text as Bird sent it");
    }
    return new FileRecorder(opts, gzip, out);
  }

  get file(): string {
    return this.opts.file;
  }

  beginSession(args: string[], settings: Record<string, string>): void {
    this.attempts = 0;
    const line: SessionLine = {
      type: "session",
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      args,
      startedAt: new Date().toISOString(),
      redact: this.opts.redact,
      settings,
    };
    this.write(line);
  }

  endSession(exitCode?: number): void {
    const line: EndLine = {
      type: "end",
      at: new Date().toISOString(),
      ...(exitCode === undefined ? {} : { exitCode }),
      attempts: this.attempts,
    };
    this.write(line);
  }

  attempt(url: string): (outcome: RawOutcome) => void {
    const at = Date.now();
    const sent = performance.now();
    return (outcome) => {
      if (this.closed) return;
      this.attempts++;
      this.write(this.lineOf(url, at, performance.now() - sent, outcome));
    };
  }

  ready(): Promise<void> | undefined {
    if (this.failed || this.closed || !this.gzip.writableNeedDrain) return undefined;
    return once(this.gzip, "drain").then(() => undefined);
  }

  /** Ends the gzip member and the file; later attempts are not recorded. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const finished = once(this.out, "close").catch(() => undefined);
    this.gzip.end();
    await finished;
  }

  private lineOf(url: string, at: number, ms: number, outcome: RawOutcome): AttemptLine {
    const u = new URL(url);
    const path = `${u.pathname.startsWith(this.basePath) ? u.pathname.slice(this.basePath.length) : u.pathname}${u.search}`;
    const base = { method: "GET", path, at: new Date(at).toISOString(), ms: Math.round(ms * 10) / 10 };
    if ("error" in outcome) return { ...base, status: null, error: this.scrub(outcome.error) };
    const headers: Record<string, string> = {};
    outcome.headers.forEach((value, name) => {
      if (KEPT_HEADER.test(name)) headers[name.toLowerCase()] = value;
    });
    const body = this.opts.redact === "none" ? outcome.text : redactAnswer(u.pathname, outcome.status, outcome.text);
    return { ...base, status: outcome.status, headers, body: this.scrub(body) };
  }

  /** The key, should Bird ever echo it, becomes asterisks of its length (the body keeps its size). */
  private scrub(text: string): string {
    const key = this.opts.accessKey;
    return key.length >= 4 && text.includes(key) ? text.split(key).join("*".repeat(key.length)) : text;
  }

  private write(line: object): void {
    if (this.failed || this.closed) return;
    this.gzip.write(`${JSON.stringify(line)}\n`);
    const now = Date.now();
    if (now - this.lastFlush >= FLUSH_EVERY_MS) {
      this.lastFlush = now;
      this.gzip.flush(constants.Z_SYNC_FLUSH);
    }
  }
}
