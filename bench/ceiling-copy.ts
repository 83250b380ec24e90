// Ceiling B: COPY of the same documents into bird.approval_runs of a freshly migrated scratch database (the
// real table: same columns, primary key and indexes). The documents are fetched once from the fake (not
// timed), mapped to the table's columns the way the product maps them, and pre-encoded as COPY text; the
// timed part is only PostgreSQL ingesting them: one connection per flow, `concurrency` flows at a time, one
// `COPY … FROM STDIN` per flow.
//
// pg has no COPY API of its own and pg-copy-streams is not installed, but pg accepts any "submittable"
// query object and forwards the COPY sub-protocol messages to it — which is all pg-copy-streams is. CopyIn
// below does that (CopyData chunks with socket back-pressure, CopyDone), so this is a real COPY, not a
// bulk INSERT.
import { once } from "node:events";
import pg from "pg";
import { forEachFlow, pageAllFlows, type PagingOptions } from "./ceiling-fetch.js";
import type { FakeInfo } from "./fake-process.js";
import { migrateWithProduct, type PgAdmin } from "./pg-admin.js";
import { cpuSeconds } from "./proc.js";
import { RUN_COLUMNS, RUN_JSON_FIELDS, runValue } from "../src/db/run-columns.js";

/** Columns written by COPY; first_synced_at / last_synced_at take their defaults, deleted_at stays NULL. */
export const COPY_COLUMNS: readonly string[] = [...RUN_COLUMNS.map((c) => c.column), "extra"];

const KNOWN_RUN_FIELDS = new Set<string>(RUN_JSON_FIELDS);

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** COPY text format: backslash, newline, carriage return and tab escaped; \N is NULL. */
function text(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c] as string) : value;
}

function scalar(value: unknown): string {
  return value === undefined || value === null ? "\\N" : text(String(value));
}

function json(value: unknown): string {
  return value === undefined || value === null ? "\\N" : text(JSON.stringify(value));
}

/** One ApprovalRun as a COPY text line, with the column values the product's page write produces. */
export function copyLine(raw: unknown): string {
  const r = raw as Record<string, unknown>;
  let extra: Record<string, unknown> | null = null;
  for (const k of Object.keys(r)) if (!KNOWN_RUN_FIELDS.has(k)) (extra ??= {})[k] = r[k];
  const values = RUN_COLUMNS.map((c) => (c.sqlType === "jsonb" ? json(runValue(r, c)) : scalar(runValue(r, c))));
  return [...values, json(extra)].join("\t");
}

export interface CopyData {
  /** Per flow, the COPY text in ~256 KiB chunks. */
  chunks: Map<string, Buffer[]>;
  runs: number;
  bytes: number;
  /** Untimed preparation: fetching and encoding. */
  seconds: number;
}

const CHUNK_BYTES = 256 * 1024;

/** Fetches every document once and keeps it, encoded, in this process (~1.3 KB per run, off the JS heap). */
export async function collectCopyData(info: FakeInfo, opts: PagingOptions): Promise<CopyData> {
  const t0 = performance.now();
  const chunks = new Map<string, Buffer[]>();
  const pending = new Map<string, { lines: string[]; size: number }>();
  let bytes = 0;
  const flush = (flowId: string): void => {
    const p = pending.get(flowId);
    if (!p || p.lines.length === 0) return;
    const buf = Buffer.from(p.lines.join(""), "utf8");
    bytes += buf.length;
    let list = chunks.get(flowId);
    if (!list) chunks.set(flowId, (list = []));
    list.push(buf);
    pending.set(flowId, { lines: [], size: 0 });
  };
  const totals = await pageAllFlows(info, opts, (flowId, records) => {
    let p = pending.get(flowId);
    if (!p) pending.set(flowId, (p = { lines: [], size: 0 }));
    for (const record of records) {
      const line = `${copyLine(record)}\n`;
      p.lines.push(line);
      p.size += line.length;
    }
    if (p.size >= CHUNK_BYTES) flush(flowId);
  });
  for (const flowId of pending.keys()) flush(flowId);
  return { chunks, runs: totals.runs, bytes, seconds: (performance.now() - t0) / 1000 };
}

/** The wire-level parts of pg's Connection that a COPY needs (not in @types/pg). */
interface CopyConnection {
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/** `COPY … FROM STDIN` as a pg submittable: resolves with the server's row count. */
class CopyIn implements pg.Submittable {
  readonly done: Promise<number>;
  private resolve!: (rows: number) => void;
  private reject!: (err: Error) => void;
  private rows = 0;
  private failed = false;

  constructor(
    private readonly sql: string,
    private readonly chunks: Iterable<Buffer> | AsyncIterable<Buffer>,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.sql);
  }

  handleCopyInResponse(connection: pg.Connection): void {
    void this.pump(connection as unknown as CopyConnection);
  }

  private async pump(c: CopyConnection): Promise<void> {
    try {
      for await (const chunk of this.chunks) {
        if (this.failed) return;
        c.sendCopyFromChunk(chunk);
        if (c.stream.writableNeedDrain) await once(c.stream, "drain");
      }
      if (!this.failed) c.endCopyFrom();
    } catch (err) {
      c.sendCopyFail(`bench: ${(err as Error).message}`);
    }
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /(\d+)$/.exec(msg.text ?? "");
    this.rows = m ? Number(m[1]) : 0;
  }

  handleReadyForQuery(): void {
    if (!this.failed) this.resolve(this.rows);
  }

  handleError(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.reject(err);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

export async function copyIn(client: pg.Client, sql: string, chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<number> {
  const q = new CopyIn(sql, chunks);
  client.query(q);
  return q.done;
}

export const COPY_SQL = `copy bird.approval_runs (${COPY_COLUMNS.join(", ")}) from stdin`;

/** A freshly migrated scratch database with one open connection per worker, ready for COPY. */
export interface CopyTarget {
  clients: pg.Client[];
  /** CPU seconds the connections' backends used since the last mark(). */
  pgCpuSinceMark(): number;
  mark(): void;
  countRuns(): Promise<number>;
  close(): Promise<void>;
}

export async function openCopyTarget(
  admin: PgAdmin,
  opts: { kind: string; connections: number; cliPath: string; cwd: string },
): Promise<CopyTarget> {
  const db = await admin.create(opts.kind);
  const clients: pg.Client[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db.drop();
  };
  try {
    await migrateWithProduct(opts.cliPath, db.url, opts.cwd);
    for (let i = 0; i < Math.max(1, opts.connections); i++) {
      const client = new pg.Client({ connectionString: db.url });
      client.on("error", () => undefined);
      await client.connect();
      clients.push(client);
    }
    const first = clients[0] as pg.Client;
    // The scratch table is the product's: if its columns moved on, say what to update here.
    const { rows: cols } = await first.query<{ column_name: string }>(
      "select column_name from information_schema.columns where table_schema = 'bird' and table_name = 'approval_runs'",
    );
    const have = new Set(cols.map((c) => c.column_name));
    const gone = COPY_COLUMNS.filter((c) => !have.has(c));
    if (gone.length > 0) {
      throw new Error(
        `bird.approval_runs has no column(s) ${gone.join(", ")}: migrate the scratch database (COPY_COLUMNS come from src/db/schema.ts)`,
      );
    }
    const pids = await Promise.all(
      clients.map(async (c) => (await c.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]?.pid ?? 0),
    );
    let base = pids.map((pid) => cpuSeconds(pid) ?? 0);
    await admin.checkpoint();
    return {
      clients,
      mark: () => {
        base = pids.map((pid) => cpuSeconds(pid) ?? 0);
      },
      pgCpuSinceMark: () => pids.reduce((sum, pid, i) => sum + ((cpuSeconds(pid) ?? 0) - (base[i] ?? 0)), 0),
      countRuns: async () => Number((await first.query<{ n: string }>("select count(*) as n from bird.approval_runs")).rows[0]?.n ?? 0),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface CopyCeilingResult {
  runs: number;
  seconds: number;
  runsPerSec: number;
  megabytes: number;
  connections: number;
  /** CPU seconds: the PostgreSQL backends that ran the COPYs, and this (bench) process sending the data. */
  cpu: { postgres: number; client: number };
}

export async function measureCopyCeiling(
  admin: PgAdmin,
  data: CopyData,
  opts: { concurrency: number; cliPath: string; cwd: string },
): Promise<CopyCeilingResult> {
  const flows = [...data.chunks.keys()];
  const n = Math.max(1, Math.min(opts.concurrency, flows.length));
  const target = await openCopyTarget(admin, { kind: "copy", connections: n, cliPath: opts.cliPath, cwd: opts.cwd });
  try {
    let copied = 0;
    target.mark();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await forEachFlow(flows, n, async (flowId, worker) => {
      const rows = await copyIn(target.clients[worker] as pg.Client, COPY_SQL, data.chunks.get(flowId) ?? []);
      copied += rows;
    });
    const seconds = (performance.now() - t0) / 1000;
    const client = process.cpuUsage(cpu0);
    const pgCpu = target.pgCpuSinceMark();
    const stored = await target.countRuns();
    if (copied !== data.runs || stored !== data.runs) {
      throw new Error(`COPY ceiling stored ${stored} rows (COPY reported ${copied}), expected ${data.runs}`);
    }
    return {
      runs: copied,
      seconds,
      runsPerSec: copied / seconds,
      megabytes: data.bytes / 1e6,
      connections: n,
      cpu: { postgres: pgCpu, client: (client.user + client.system) / 1e6 },
    };
  } finally {
    await target.close();
  }
}
