// Issue 14: `approvals-sync check` against the fake API and real Postgres — passes when all holds,
// exit 2 on a rejected key (never echoed), exit 1 when the API ignores `reverse`, detects the list
// order either way, and tells a read-only role from one that can sync.
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { emptyDatabaseUrl, freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import type { FakeBirdApi } from "../src/fake/index.js";
import type { CheckReport } from "../src/check/report.js";

const fakes: FakeBirdApi[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function fake(opts: Parameters<typeof startFake>[0]): Promise<FakeBirdApi> {
  const api = await startFake(opts);
  fakes.push(api);
  return api;
}

async function checkJson(env: NodeJS.ProcessEnv): Promise<{ code: number | null; report: CheckReport; stderr: string }> {
  const r = await runCli(["check", "--json"], env);
  return { code: r.code, report: JSON.parse(r.stdout) as CheckReport, stderr: r.stderr };
}

const statusOf = (r: CheckReport, id: string) => r.checks.find((c) => c.id === id)?.status;

describe("approvals-sync check", () => {
  it("passes against the fake API and a migrated database; the fake counted exactly the requests it reports", async () => {
    const api = await fake({ flows: 3, runsPerFlow: 150, seed: 21 });
    const url = await freshDatabaseUrl();
    const text = await runCli(["check"], syncEnv(api, url));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\[ok\] +access key accepted; organization reachable/);
    expect(text.stdout).toMatch(/\[ok\] +flows listed: 3/);
    expect(text.stdout).toMatch(/\[ok\] +list order: oldest first \(asc\)/);
    expect(text.stdout).toMatch(/\[ok\] +reverse=true flips it: newest first \(desc\)/);
    expect(text.stdout).toMatch(/\[ok\] +GET by id equals the listed copy/);
    expect(text.stdout).toMatch(/\[ok\] +migrations current \(\d+ of \d+ applied\)/);
    expect(text.stdout).toMatch(/\[ok\] +privileges: this role can sync/);
    expect(text.stdout).toMatch(/^Result: ok \(exit 0\)/m);

    api.resetCounters();
    const { code, report } = await checkJson(syncEnv(api, url));
    expect(code).toBe(0);
    expect(report.result).toBe("ok");
    expect(report.facts).toMatchObject({ flows: 3, listOrder: "asc", reverseFlips: true, getByIdEqualsListed: true, canSync: true });
    expect(report.facts.migrations?.current).toBe(true);
    // flows page + first page + reversed page + one GET by id.
    expect(api.counters.requests).toBe(report.facts.requests);
    expect(api.counters).toMatchObject({ flowListRequests: 1, listRequests: 2, getRequests: 1 });
  });

  it("reports a rejected key with exit 2 and never prints it", async () => {
    const api = await fake({ flows: 1, runsPerFlow: 10 });
    const key = "wrong-key-Zq81xPdd0";
    const r = await runCli(["check"], syncEnv(api, await freshDatabaseUrl(), { BIRD_ACCESS_KEY: key }));
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/\[error\] +access key rejected \(HTTP 401\): check BIRD_ACCESS_KEY/);
    expect(r.stdout + r.stderr).not.toContain(key);
    expect(api.counters.authFailures).toBe(1);
  });

  it("detects an API that ignores reverse (exit 1), and a newest-first list order", async () => {
    const ignoring = await fake({ flows: 2, runsPerFlow: 40, ignoreReverse: true });
    const url = await freshDatabaseUrl();
    const a = await checkJson(syncEnv(ignoring, url));
    expect(a.code).toBe(1);
    expect(a.report.facts).toMatchObject({ listOrder: "asc", reverseFlips: false });
    expect(statusOf(a.report, "reverse")).toBe("degraded");
    expect(a.report.checks.find((c) => c.id === "reverse")?.title).toMatch(/reverse=true is ignored/);

    const newestFirst = await fake({ flows: 2, runsPerFlow: 40, order: "desc" });
    const b = await checkJson(syncEnv(newestFirst, url));
    expect(b.code).toBe(0);
    expect(b.report.facts).toMatchObject({ listOrder: "desc", reverseFlips: true });
  });

  it("tells a read-only role (exit 1) and an unreachable database (exit 2)", async () => {
    const api = await fake({ flows: 1, runsPerFlow: 20 });
    const url = await freshDatabaseUrl();
    const role = `bas_ro_${process.pid}`;
    const db = new URL(url).pathname.slice(1);
    await query(url, `drop role if exists ${role}`).catch(() => undefined);
    await query(url, `create role ${role} login`);
    try {
      await query(
        url,
        `grant connect on database ${db} to ${role}; grant usage on schema bird, drizzle to ${role};
        grant select on all tables in schema bird, drizzle to ${role}`,
      );
      const readOnlyUrl = new URL(url);
      readOnlyUrl.username = role;
      const ro = await checkJson(syncEnv(api, readOnlyUrl.toString()));
      expect(ro.code).toBe(1);
      expect(ro.report.facts.canSync).toBe(false);
      expect(ro.report.checks.find((c) => c.id === "privileges")?.title).toMatch(
        /read-only — enough for ui, status and report, not for sync/,
      );
    } finally {
      await query(url, `drop owned by ${role}; drop role ${role}`);
    }
    const down = await checkJson(syncEnv(api, "postgres://postgres@127.0.0.1:1/none"));
    expect(down.code).toBe(2);
    expect(statusOf(down.report, "database")).toBe("error");
    expect(statusOf(down.report, "auth")).toBe("ok");
  });

  it("a fresh, empty database is not degraded when sync will migrate it; it is with SYNC_AUTO_MIGRATE=false", async () => {
    const api = await fake({ flows: 1, runsPerFlow: 20 });
    const empty = new URL(await emptyDatabaseUrl());
    const auto = await runCli(["check"], syncEnv(api, empty.toString()));
    expect(auto.code).toBe(0);
    expect(auto.stdout).toMatch(
      /\[ok\] +migrations: none applied yet; will be migrated by sync \(SYNC_AUTO_MIGRATE=true, \d+ migrations\)/,
    );
    expect(auto.stdout).toMatch(/^Result: ok \(exit 0\)/m);
    const off = await checkJson(syncEnv(api, empty.toString(), { SYNC_AUTO_MIGRATE: "false" }));
    expect(off.code).toBe(1);
    expect(off.report.checks.find((c) => c.id === "migrations")).toMatchObject({
      status: "degraded",
      title: expect.stringMatching(/SYNC_AUTO_MIGRATE=false: sync refuses this schema; run `approvals-sync migrate`/),
    });
    // check changed nothing: still no schema.
    const [schemas] = await query<{ n: number }>(
      empty.toString(),
      "select count(*)::int as n from pg_namespace where nspname in ('bird', 'drizzle')",
    );
    expect(schemas!.n).toBe(0);
  });
});
