// Scratch databases (bench_*) on the configured server: create, migrate with the product, drop — always.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { productEnv } from "./child-env.js";
import { onCleanup } from "./cleanup.js";
import { isProcessAlive } from "../src/process-alive.js";

const execFileAsync = promisify(execFile);

export interface ScratchDb {
  name: string;
  url: string;
  /** One statement on the scratch database itself. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** One statement on its own connection. */
async function queryOnce<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export class PgAdmin {
  private counter = 0;

  constructor(readonly adminUrl: string) {}

  urlFor(database: string): string {
    const u = new URL(this.adminUrl);
    u.pathname = `/${database}`;
    return u.toString();
  }

  async query<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    return queryOnce<T>(this.adminUrl, text, values);
  }

  async serverVersion(): Promise<string> {
    const [row] = await this.query<{ v: string }>("select current_setting('server_version') as v");
    return row?.v ?? "?";
  }

  /** Creates bench_<kind>_<pid>_<n>; it is dropped by drop() or by the bench's cleanup, whichever comes first. */
  async create(kind: string): Promise<ScratchDb> {
    const name = `bench_${kind}_${process.pid}_${++this.counter}`;
    await this.query(`create database ${pg.escapeIdentifier(name)}`);
    let dropped = false;
    const drop = async (): Promise<void> => {
      if (dropped) return;
      dropped = true;
      unregister();
      await this.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    };
    const unregister = onCleanup(`drop database ${name}`, drop);
    const url = this.urlFor(name);
    return { name, url, query: (text, values = []) => queryOnce(url, text, values), drop };
  }

  /** Drops bench_<kind>_<pid>_<n> databases whose bench process is gone (left by a killed run). */
  async dropStale(): Promise<string[]> {
    const rows = await this.query<{ datname: string }>("select datname from pg_database where datname like 'bench\\_%'");
    const dropped: string[] = [];
    for (const { datname } of rows) {
      const m = /^bench_[a-z0-9]+_(\d+)_\d+$/.exec(datname);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || isProcessAlive(pid)) continue;
      await this.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
      dropped.push(datname);
    }
    return dropped;
  }

  /** Flushes dirty buffers so one measurement does not pay for the previous one's writes. */
  async checkpoint(): Promise<void> {
    await this.query("checkpoint");
  }

  /** Backend pids connected to a database (to read their CPU time from /proc). */
  async backendPids(database: string): Promise<number[]> {
    const rows = await this.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1", [database]);
    return rows.map((r) => r.pid);
  }
}

/** Applies the product's migrations (`approvals-sync migrate`), so scratch tables match the real ones exactly. */
export async function migrateWithProduct(cliPath: string, databaseUrl: string, cwd: string): Promise<void> {
  try {
    await execFileAsync(process.execPath, [cliPath, "migrate"], {
      cwd,
      env: productEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: "warn", LOG_FORMAT: "json" }),
      timeout: 120_000,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`approvals-sync migrate failed: ${(e.stderr ?? "").trim() || e.message}`);
  }
}
