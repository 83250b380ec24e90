// Issue 15 (2): a read-only reporting role runs `status` and `report`; they never migrate, say when the
// schema is behind (exit 2), and every database error shows its cause (exit 2).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { cliEnv, runCli } from "./helpers/cli.js";
import { emptyDatabaseUrl, freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

const role = `bas_reader_${process.pid}`;

function asRole(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = "";
  return u.toString();
}

describe("a read-only role", () => {
  let api: FakeBirdApi;
  let url: string;
  let readerUrl: string;
  beforeAll(async () => {
    api = await startFake({ flows: 2, runsPerFlow: 40, seed: 158 });
    url = await freshDatabaseUrl();
    expect(await syncInProcess(syncEnv(api, url))).toBe(0);
    const db = new URL(url).pathname.slice(1);
    // Only what reading needs: connect, USAGE on the schema, SELECT on its tables and views.
    await query(url, `drop role if exists ${role}`);
    await query(url, `create role ${role} login`);
    await query(url, `grant connect on database ${db} to ${role}`);
    await query(url, `grant usage on schema bird to ${role}`);
    await query(url, `grant select on all tables in schema bird to ${role}`);
    readerUrl = asRole(url, role);
  });
  afterAll(async () => {
    await query(url, `drop owned by ${role}`).catch(() => undefined);
    await query(url, `drop role if exists ${role}`).catch(() => undefined);
    await api.close();
  });

  const env = () => cliEnv({ DATABASE_URL: readerUrl });

  it("runs status and report without trying to migrate", async () => {
    const status = await runCli(["status", "--json"], env());
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as unknown[]).length).toBe(2);
    const report = await runCli(["report", "summary", "--format", "json"], env());
    expect(report.code).toBe(0);
    expect((JSON.parse(report.stdout) as Array<{ total_runs: number }>).map((r) => Number(r.total_runs))).toEqual([40, 40]);
  });

  it("with read access to drizzle's table too, a schema behind this version exits 2 saying so", async () => {
    await query(url, `grant usage on schema drizzle to ${role}`);
    await query(url, `grant select on drizzle.__drizzle_migrations to ${role}`);
    expect((await runCli(["status"], env())).code).toBe(0);
    const [last] = await query<{ id: number }>(url, "select max(id) as id from drizzle.__drizzle_migrations");
    const [saved] = await query(url, "delete from drizzle.__drizzle_migrations where id = $1 returning *", [last!.id]);
    try {
      for (const args of [["status"], ["report", "summary"]]) {
        const r = await runCli(args, env());
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(
          /schema at postgres:\/\/.* is behind this version \(1 of \d+ migrations not applied: \w+\): run `approvals-sync migrate`/,
        );
      }
    } finally {
      const s = saved as { id: number; hash: string; created_at: string };
      await query(url, "insert into drizzle.__drizzle_migrations (id, hash, created_at) values ($1, $2, $3)", [s.id, s.hash, s.created_at]);
    }
  });

  it("a database error shows its cause and exits 2", async () => {
    await query(url, `revoke select on bird.sync_state from ${role}`);
    try {
      const r = await runCli(["status"], env());
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/permission denied for table sync_state/);
    } finally {
      await query(url, `grant select on bird.sync_state to ${role}`);
    }
  });

  it("an empty database tells the reader to migrate first", async () => {
    const empty = new URL(await emptyDatabaseUrl());
    const r = await runCli(["status"], cliEnv({ DATABASE_URL: empty.toString() }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no approvals-sync schema yet: run `approvals-sync migrate`/);
    const [tables] = await query<{ n: number }>(
      empty.toString(),
      "select count(*)::int as n from pg_namespace where nspname in ('bird', 'drizzle')",
    );
    expect(tables!.n).toBe(0);
  });
});
