// Issue 24: a least-privilege writer role — read/write on the bird tables, no CREATE on the database —
// syncs a current schema (no migration, so no CREATE needed); a migration it cannot run fails with
// its cause and the fix, exit 2; `check` tells "can sync" from "needs a migration it cannot run"; and
// with SYNC_AUTO_MIGRATE=false nobody syncs a schema this version cannot write.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckReport } from "../src/check/report.js";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

const role = `bas_writer_${process.pid}`;

function asRole(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = "";
  return u.toString();
}

/** Takes the newest applied migration out of drizzle's table (the schema looks one behind); returns a restore. */
async function oneMigrationBehind(url: string): Promise<() => Promise<void>> {
  const [saved] = await query<{ id: number; hash: string; created_at: string }>(
    url,
    "delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations) returning *",
  );
  return async () => {
    await query(url, "insert into drizzle.__drizzle_migrations (id, hash, created_at) values ($1, $2, $3)", [
      saved!.id,
      saved!.hash,
      saved!.created_at,
    ]);
  };
}

describe("a least-privilege writer role", () => {
  let api: FakeBirdApi;
  let url: string;
  let writerUrl: string;
  beforeAll(async () => {
    api = await startFake({ flows: 2, runsPerFlow: 40, seed: 241 });
    url = await freshDatabaseUrl();
    const db = new URL(url).pathname.slice(1);
    await query(url, `drop role if exists ${role}`);
    await query(url, `create role ${role} login`);
    // What syncing needs and no more: no CREATE on the database, not the owner of anything.
    await query(url, `revoke create on database ${db} from public`);
    await query(url, `grant connect on database ${db} to ${role}`);
    await query(url, `grant usage on schema bird to ${role}`);
    await query(url, `grant select, insert, update, delete on all tables in schema bird to ${role}`);
    await query(url, `grant usage, select on all sequences in schema bird to ${role}`);
    await query(url, `grant usage on schema drizzle to ${role}`);
    await query(url, `grant select on drizzle.__drizzle_migrations to ${role}`);
    writerUrl = asRole(url, role);
  });
  afterAll(async () => {
    await query(url, `drop owned by ${role}`).catch(() => undefined);
    await query(url, `drop role if exists ${role}`).catch(() => undefined);
    await api.close();
  });

  const env = (extra: Record<string, string> = {}) => syncEnv(api, writerUrl, extra);

  it("syncs a current schema with SYNC_AUTO_MIGRATE=true (nothing needs CREATE), and check says it can sync but not migrate", async () => {
    const r = await runCli(["sync", "--no-progress"], env());
    expect(r.stderr).not.toMatch(/CREATE SCHEMA|permission denied/);
    expect(r.code).toBe(0);
    const [runs] = await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs");
    expect(runs!.n).toBe(80);

    const check = await runCli(["check", "--json"], env());
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout) as CheckReport;
    expect(report.facts).toMatchObject({ canSync: true, canMigrate: false });
    const title = (id: string) => report.checks.find((c) => c.id === id);
    expect(title("migrations")).toMatchObject({
      status: "ok",
      title: expect.stringMatching(/^migrations current \(\d+ of \d+ applied\)$/),
    });
    expect(title("privileges")).toMatchObject({ status: "ok", title: expect.stringMatching(/can sync .* but cannot migrate/) });
  });

  it("a migration it cannot run: sync exits 2 with the cause (42501) and the fix; check says it needs a migration it cannot run", async () => {
    const restore = await oneMigrationBehind(url);
    api.resetCounters();
    try {
      const r = await runCli(["sync", "--no-progress"], env());
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /cannot migrate the database at postgres:\/\/.*: permission denied for database .* \(SQLSTATE 42501\); 1 of \d+ migrations is pending \(\w+\) and this role may not apply it\. Run `approvals-sync migrate` once as the role that owns the schema .*SYNC_AUTO_MIGRATE=false/,
      );
      expect(r.stderr).not.toMatch(/Failed query/);
      expect(api.counters.requests).toBe(0);

      const check = await runCli(["check", "--json"], env());
      expect(check.code).toBe(1);
      const migrations = (JSON.parse(check.stdout) as CheckReport).checks.find((c) => c.id === "migrations");
      expect(migrations).toMatchObject({
        status: "degraded",
        title: expect.stringMatching(/sync needs a migration this role cannot run; run `approvals-sync migrate` as the role that owns/),
      });
    } finally {
      await restore();
    }
  });

  it("without read access to drizzle's table: SYNC_AUTO_MIGRATE=false syncs; true fails naming both ways out", async () => {
    await query(url, `revoke select on drizzle.__drizzle_migrations from ${role}`);
    try {
      const tries = await runCli(["sync", "--no-progress"], env());
      expect(tries.code).toBe(2);
      expect(tries.stderr).toMatch(/this role may not read drizzle\.__drizzle_migrations.*SYNC_AUTO_MIGRATE=false/);
      const off = await runCli(["sync", "--no-progress"], env({ SYNC_AUTO_MIGRATE: "false" }));
      expect(off.code).toBe(0);
    } finally {
      await query(url, `grant select on drizzle.__drizzle_migrations to ${role}`);
    }
  });
});

describe("SYNC_AUTO_MIGRATE=false", () => {
  it("sync refuses a schema one migration behind: exit 2 naming `approvals-sync migrate`, nothing fetched", async () => {
    const api = await startFake({ flows: 1, runsPerFlow: 20, seed: 242 });
    try {
      const url = await freshDatabaseUrl();
      await oneMigrationBehind(url);
      const r = await runCli(["sync", "--no-progress"], syncEnv(api, url, { SYNC_AUTO_MIGRATE: "false" }));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /schema at postgres:\/\/.* is behind this version \(1 of \d+ migrations not applied: \w+\) \(SYNC_AUTO_MIGRATE=false: this command does not migrate\): run `approvals-sync migrate`/,
      );
      expect(api.counters.requests).toBe(0);
      // `migrate` brings it up to date, then sync runs.
      expect((await runCli(["migrate"], syncEnv(api, url))).code).toBe(0);
      expect(await syncInProcess(syncEnv(api, url, { SYNC_AUTO_MIGRATE: "false" }))).toBe(0);
    } finally {
      await api.close();
    }
  });
});
