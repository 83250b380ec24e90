// Writes a recording file (recording.ts): builds each attempt's line, redacts its body, compresses
// (gzip-batches.ts). It runs on a worker thread when it can (recorder.ts), so the sync's own thread
// only hands bodies over.
import { close, open } from "node:fs";
import { promisify } from "node:util";
import { GzipBatches } from "./gzip-batches.js";
import { isExactUtf8 } from "./http.js";
import { type AttemptLine, JSON_BODY } from "./recording.js";
import { redactAnswerInPlace } from "./redact.js";
import { SecretBytes } from "./secret-bytes.js";

export type RedactMode = "default" | "none";

export interface WriterOptions {
  file: string;
  /**
   * FILE opened for appending (openRecordingFile) by whoever starts the writer, and closed by them after
   * the writer's close: a worker thread writes to the descriptor its starter opened.
   */
  fd: number;
  /** BIRD_API_URL's path: recorded paths are relative to it. */
  basePath: string;
  /** Scrubbed from every text kept, in every mode (Bird should never echo it; if it did, not into the file). */
  accessKey: string;
  redact: RedactMode;
}

/** One attempt as the client saw it: sent at `at` (epoch ms), answered or failed `ms` later. */
export interface AttemptRecord {
  url: string;
  at: number;
  ms: number;
  status: number | null;
  headers?: Record<string, string>;
  /**
   * The answer's body, the writer's own (handed to a worker thread without a copy; redacted in place):
   * the UTF-8 of the text the client read,
   */
  body?: Uint8Array;
  /** or, when `raw`, the bytes it read that text from (which may not be that UTF-8: a BOM, invalid bytes). */
  raw?: boolean;
  /** The client read that text as JSON (and so it may go into the line as it is). */
  json?: boolean;
  error?: string;
}

/** Opens FILE for appending; rejects when it cannot be written. */
export const openRecordingFile: (file: string) => Promise<number> = (file) => promisify(open)(file, "a");

/** Closes what openRecordingFile opened (errors ignored: what was written is written). */
export const closeRecordingFile = (fd: number): Promise<void> => promisify(close)(fd).catch(() => undefined);

// Decodes as the client does (http.ts): UTF-8, a leading BOM dropped, invalid bytes as U+FFFD.
const utf8 = new TextDecoder("utf-8");
const CLOSE_LINE = Buffer.from("}\n", "latin1");

/** The UTF-8 of the text the client read from `bytes`: the bytes themselves unless it changed them. */
function asRead(bytes: Buffer): Buffer {
  return isExactUtf8(bytes) ? bytes : Buffer.from(utf8.decode(bytes), "utf8");
}

/** JSON with every non-ASCII character escaped, so the line can be written as latin1 bytes. */
function asciiJson(value: object): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export class RecordingWriter {
  /** The access key, when it is long enough to look for (asterisks wherever it would be written). */
  private readonly key: SecretBytes | undefined;
  private readonly out: GzipBatches;
  private closed = false;

  private constructor(private readonly opts: WriterOptions) {
    this.key = opts.accessKey.length >= 4 ? new SecretBytes(Buffer.from(opts.accessKey, "utf8")) : undefined;
    this.out = new GzipBatches(opts.fd);
  }

  /** Writes gzip members at the end of the file opened as `opts.fd` (which it leaves open). */
  static start(opts: WriterOptions): RecordingWriter {
    return new RecordingWriter(opts);
  }

  /** Set when the file cannot be written: the recording stops, the sync goes on. */
  get failure(): Error | undefined {
    return this.out.failure;
  }

  attempt(a: AttemptRecord): void {
    if (this.closed || this.failure) return;
    const u = new URL(a.url);
    const path = `${u.pathname.startsWith(this.opts.basePath) ? u.pathname.slice(this.opts.basePath.length) : u.pathname}${u.search}`;
    const base = { method: "GET", path, at: new Date(a.at).toISOString(), ms: Math.round(a.ms * 10) / 10 };
    if (a.status === null) {
      this.line({ ...base, status: null, error: this.scrubText(a.error ?? "") } satisfies AttemptLine);
      return;
    }
    const bytes = Buffer.from(a.body?.buffer ?? new ArrayBuffer(0), a.body?.byteOffset ?? 0, a.body?.byteLength ?? 0);
    // The body is the writer's own: redacted in place, then held by the batch until its gzip member is written.
    const body = a.raw ? asRead(bytes) : bytes;
    // Redaction looks for the key where it keeps text as it is; a body kept whole (not redacted, or not
    // JSON, so redacted character by character) is searched whole.
    const redacting = this.opts.redact !== "none";
    const json = !redacting || redactAnswerInPlace(u.pathname, a.status, body, this.key);
    if (!redacting || !json) this.scrubBytes(body);
    const head = asciiJson({ ...base, status: a.status, headers: a.headers ?? {} } satisfies Omit<AttemptLine, "body">);
    if (a.json === true && json && body.indexOf(0x0a) < 0 && body.indexOf(0x0d) < 0) {
      // JSON on one line goes in as the line's last member, byte for byte: no escaping pass, and the
      // reader takes the text between its colon and the line's closing brace (recording.ts).
      this.out.add(Buffer.from(`${head.slice(0, -1)},"${JSON_BODY}":`, "latin1"));
      this.out.add(body);
      this.out.add(CLOSE_LINE);
    } else {
      // The body's UTF-8 bytes go into a string as they are: read as latin1 they are one byte per
      // character, which JSON.stringify escapes natively (only quotes, backslashes and controls), and
      // written as latin1 they are the same bytes again. The body is never decoded and encoded again.
      this.out.add(Buffer.from(`${head.slice(0, -1)},"body":`, "latin1"));
      this.out.add(Buffer.from(`${JSON.stringify(body.toString("latin1"))}}\n`, "latin1"));
    }
    this.out.endLine();
  }

  line(line: object): void {
    if (this.closed || this.failure) return;
    this.out.add(Buffer.from(`${asciiJson(line)}\n`, "latin1"));
    this.out.endLine();
  }

  /** Writes what is pending; later lines are not recorded. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.out.flush();
    }
    return Promise.resolve();
  }

  /** The key, should it ever appear, becomes asterisks of its length (the body keeps its size). */
  private scrubText(text: string): string {
    const key = this.opts.accessKey;
    return key.length >= 4 && text.includes(key) ? text.split(key).join("*".repeat(key.length)) : text;
  }

  private scrubBytes(body: Buffer): void {
    this.key?.scrub(body, 0, body.length);
  }
}
