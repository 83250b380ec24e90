// `--record FILE` (issue 25): every HTTP attempt to Bird, as recording.ts describes. The client hands
// each answer over; a worker thread redacts, compresses and writes it (recording-writer.ts), so the
// sync's thread spends almost nothing on it. The access key never reaches the file: request headers
// are not recorded, paths are relative to BIRD_API_URL, and the writer scrubs the key from any text.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { RawOutcome } from "./http.js";
import { type EndLine, RECORDING_FORMAT, RECORDING_VERSION, type SessionLine } from "./recording.js";
import type { FromWriter, ToWriter } from "./recording-worker.js";
import {
  type AttemptRecord,
  type RedactMode,
  RecordingWriter,
  type WriterOptions,
  closeRecordingFile,
  openRecordingFile,
} from "./recording-writer.js";

export type { RedactMode } from "./recording-writer.js";

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

/** Where lines go: a writer on a worker thread, or (running from the TypeScript sources) on this one. */
interface Sink {
  attempt(a: AttemptRecord, size: number): void;
  line(line: object): void;
  ready(): Promise<void> | undefined;
  close(): Promise<void>;
}

// Headers worth keeping: rate limits, and what the body is. Never a cookie or anything credential-like.
const KEPT_HEADER = /^(retry-after|x-rate-?limit-.+|ratelimit(-.+)?|content-type|content-length)$/i;
// Bytes handed to the writer and not yet written, beyond which the sync waits for it.
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const BATCH_ANSWERS = 32;
const BATCH_BYTES = 2 * 1024 * 1024;
const BATCH_DELAY_MS = 25;
const WRITER_YOUNG_GENERATION_MB = 2;
// For an answer given as text only: each encode gives a buffer of its own (Buffer.from may share a pool
// slab, which cannot be transferred).
const UTF8 = new TextEncoder();

class LocalSink implements Sink {
  constructor(private readonly writer: RecordingWriter) {}
  attempt(a: AttemptRecord): void {
    this.writer.attempt(a);
  }
  line(line: object): void {
    this.writer.line(line);
  }
  ready(): undefined {
    return undefined; // the writer writes as it is handed lines
  }
  close(): Promise<void> {
    return this.writer.close();
  }
}

class WorkerSink implements Sink {
  private pending = 0;
  private waiters: Array<() => void> = [];
  private closed: Promise<void> | undefined;
  // Answers not yet posted: one message carries many (each postMessage wakes the writer's thread, which
  // cost the sync's thread ~1 ms a call), posted when the batch is full or soon after its first answer.
  private batch: Array<{ a: AttemptRecord; size: number }> = [];
  private batchBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly worker: Worker) {}

  /** Starts the writer's thread; what is sent before it runs waits in its queue. */
  static start(script: URL, opts: WriterOptions, onFailed: (message: string) => void): WorkerSink {
    // What the writer keeps between messages is small (the answers themselves live outside its heap),
    // so a small young generation: collected sooner, the answers' memory goes back sooner. Measured on a
    // 50,000-run recorded backfill: peak RSS 163–173 MB against 186–192 MB with V8's default, same CPU.
    const worker = new Worker(script, { workerData: opts, resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB } });
    const sink = new WorkerSink(worker);
    worker.on("exit", () => {
      // A writer that is gone (crashed, or closed) can hold nobody up.
      sink.closed ??= Promise.resolve();
      sink.release();
    });
    worker.on("error", (err) => onFailed(err.message));
    worker.on("message", (m: FromWriter) => {
      if (m.t === "failed") onFailed(m.message);
      else if (m.t === "written") sink.written(m.size);
    });
    return sink;
  }

  attempt(a: AttemptRecord, size: number): void {
    this.pending += size;
    this.batch.push({ a, size });
    this.batchBytes += size;
    if (this.batch.length >= BATCH_ANSWERS || this.batchBytes >= BATCH_BYTES) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), BATCH_DELAY_MS);
  }
  line(line: object): void {
    this.flush(); // lines keep their place among the answers
    this.worker.postMessage({ t: "line", line } satisfies ToWriter);
  }
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.batch.length === 0) return;
    const items = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    // Each body's buffer is its own (a copy, or the encoder's): handed over, not copied again.
    const transfer = items.flatMap((i) => (i.a.body ? [i.a.body.buffer as ArrayBuffer] : []));
    this.worker.postMessage({ t: "attempts", items } satisfies ToWriter, transfer);
  }
  ready(): Promise<void> | undefined {
    if (this.pending <= MAX_PENDING_BYTES || this.closed) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  close(): Promise<void> {
    this.flush();
    this.closed ??= new Promise<void>((resolve) => {
      this.worker.on("message", (m: FromWriter) => m.t === "closed" && resolve());
      this.worker.on("exit", () => resolve());
      this.worker.postMessage({ t: "close" } satisfies ToWriter);
    }).then(() => this.release());
    return this.closed;
  }
  private written(size: number): void {
    this.pending -= size;
    if (this.pending <= MAX_PENDING_BYTES) this.release();
  }
  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export class FileRecorder implements Recorder {
  private attempts = 0;
  private closed = false;

  private constructor(
    private readonly opts: FileRecorderOptions,
    private readonly sink: Sink,
    private readonly fd: number,
  ) {}

  /**
   * Opens FILE for appending (a new gzip member after what it holds); throws when it cannot be written.
   * The writer's thread starts meanwhile: the sync does not wait for it.
   */
  static async open(opts: FileRecorderOptions): Promise<FileRecorder> {
    const writerOpts: WriterOptions = {
      file: opts.file,
      fd: await openRecordingFile(opts.file),
      basePath: new URL(opts.apiUrl).pathname.replace(/\/+$/, ""),
      accessKey: opts.accessKey,
      redact: opts.redact,
    };
    const script = new URL("./recording-worker.js", import.meta.url);
    let failed = false;
    const onFailed = (message: string) => {
      if (failed) return;
      failed = true;
      opts.logger.error({ file: opts.file, err: message }, "recording stopped: the file cannot be written; the sync goes on");
    };
    const sink = existsSync(fileURLToPath(script))
      ? WorkerSink.start(script, writerOpts, onFailed)
      : new LocalSink(RecordingWriter.start(writerOpts));
    if (opts.redact === "none") {
      opts.logger.warn({ file: opts.file }, "recording WITHOUT redaction: the file holds every run's free text as Bird sent it");
    }
    return new FileRecorder(opts, sink, writerOpts.fd);
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
    if (!this.closed) this.sink.line(line);
  }

  endSession(exitCode?: number): void {
    const line: EndLine = {
      type: "end",
      at: new Date().toISOString(),
      ...(exitCode === undefined ? {} : { exitCode }),
      attempts: this.attempts,
    };
    if (!this.closed) this.sink.line(line);
  }

  attempt(url: string): (outcome: RawOutcome) => void {
    const at = Date.now();
    const sent = performance.now();
    return (outcome) => {
      if (this.closed) return;
      this.attempts++;
      const ms = performance.now() - sent;
      if ("error" in outcome) {
        this.sink.attempt({ url, at, ms, status: null, error: outcome.error }, 0);
        return;
      }
      const headers: Record<string, string> = {};
      outcome.headers.forEach((value, name) => {
        if (KEPT_HEADER.test(name)) headers[name.toLowerCase()] = value;
      });
      // A copy of the bytes as read is handed over (the client keeps its own): the writer makes them
      // the text the client read.
      const raw = outcome.bytes !== undefined && outcome.exact !== true;
      const body = outcome.bytes ? outcome.bytes.slice() : UTF8.encode(outcome.text);
      this.sink.attempt({ url, at, ms, status: outcome.status, headers, body, raw, json: outcome.json === true }, body.byteLength);
    };
  }

  ready(): Promise<void> | undefined {
    return this.closed ? undefined : this.sink.ready();
  }

  /** Writes what is pending and closes the file; later attempts are not recorded. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sink.close();
    await closeRecordingFile(this.fd);
  }
}
