// The recording file (issue 25): gzip-compressed JSON lines. A command (or a daemon cycle) opens a
// session line, then one line per HTTP attempt in the order the answers came, then an end line. A file
// may hold several sessions (each command appends), and several gzip members (the writer writes one per
// batch of lines: gzip-batches.ts).
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { type MemberSpan, topLevelMembers } from "./json-text.js";

export const RECORDING_FORMAT = "bird-approvals-sync recording";
// 2: a JSON body on one line is written as the attempt line's last member, "json", byte for byte
// (version 1 wrote every body as a string; readers read both).
export const RECORDING_VERSION = 2;
/** The member that holds a JSON body as it is (always the line's last). */
export const JSON_BODY = "json";

export interface SessionLine {
  type: "session";
  format: typeof RECORDING_FORMAT;
  version: number;
  /** The command line to run it again, without --record: e.g. ["backfill"], ["sync", "--flow", "…"]. */
  args: string[];
  startedAt: string;
  redact: "default" | "none";
  /** The settings that shape requests (page size, flows, …) as environment variables; never a secret. */
  settings: Record<string, string>;
}

export interface EndLine {
  type: "end";
  at: string;
  /** How the command ended (0, 1, 2), when it was a command. */
  exitCode?: number;
  attempts: number;
}

export interface AttemptLine {
  type?: undefined;
  method: string;
  /** Path and query as sent, relative to BIRD_API_URL (so never its host or credentials). */
  path: string;
  /** When the request was sent (ISO) and how long until its answer was read or it failed (ms). */
  at: string;
  ms: number;
  /** null when no answer came (network error, timeout); then `error` says what happened. */
  status: number | null;
  headers?: Record<string, string>;
  /** The body's text as the client read it (in the file: a string, or the raw JSON of member "json"). */
  body?: string;
  error?: string;
}

export type RecordingLine = SessionLine | EndLine | AttemptLine;

/**
 * What a replay matches a request on: method, path, and the query with its parameters in name order
 * (a client that orders them differently still asks the same question).
 */
export function requestKey(method: string, pathAndQuery: string): string {
  const q = pathAndQuery.indexOf("?");
  if (q < 0) return `${method.toUpperCase()} ${pathAndQuery}`;
  const params = [...new URLSearchParams(pathAndQuery.slice(q + 1))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method.toUpperCase()} ${pathAndQuery.slice(0, q)}?${new URLSearchParams(params)}`;
}

export interface Recording {
  lines: RecordingLine[];
  /**
   * The file ended inside a line or a gzip member: the process writing it was killed. The lines
   * before are kept; a replay serves them.
   */
  truncated: boolean;
}

/** One line of the file; a JSON body written as it is comes back as `body`, its exact text. */
export function parseLine(text: string): RecordingLine {
  const members = topLevelMembers(text);
  const last = members?.at(-1);
  if (last?.name !== JSON_BODY || members === undefined) return JSON.parse(text) as RecordingLine;
  const head = members.length > 1 ? text.slice(0, (members.at(-2) as MemberSpan).end) : "{";
  const close = text.lastIndexOf("}");
  if (close < last.end) throw new SyntaxError("a recording line does not end after its JSON body");
  return { ...(JSON.parse(`${head}}`) as AttemptLine), body: text.slice(last.colon + 1, close) };
}

/** Reads every line of a recording (all gzip members), tolerating a cut-off end. */
export function readRecording(file: string): Promise<Recording> {
  return new Promise((resolve, reject) => {
    const lines: RecordingLine[] = [];
    let pending = "";
    let truncated = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      if (pending.trim() !== "") truncated = true;
      resolve({ lines, truncated });
    };
    const source = createReadStream(file);
    const gunzip = createGunzip();
    source.on("error", (err) => {
      settled = true;
      reject(err);
    });
    gunzip.setEncoding("utf8");
    gunzip.on("data", (chunk: string) => {
      if (settled) return;
      const parts = (pending + chunk).split("\n");
      pending = parts.pop() ?? "";
      for (const part of parts) {
        if (part.trim() === "") continue;
        try {
          lines.push(parseLine(part));
        } catch {
          truncated = true;
          finish();
          return;
        }
      }
    });
    gunzip.on("error", () => {
      truncated = true;
      finish();
    });
    gunzip.on("end", finish);
    source.pipe(gunzip);
  });
}
