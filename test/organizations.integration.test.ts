// Issue 23 (3, 4): two organizations in one database. Each is synced by its own process, at the same
// time; each one's runs, flows and states are exact, and neither's discovery, missing-flow marking,
// request accounting or reports reach the other's flows. `demo` will not write next to them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/connect.js";
import { requestsInLastHour } from "../src/db/runs.js";
import type { FakeBirdApi } from "../src/fake/index.js";
import { readStatusModel } from "../src/ui/model.js";
import { cliEnv, runCli } from "./helpers/cli.js";
import { expectTableEqualsFake } from "./helpers/compare.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

const sorted = (ids: string[]) => [...ids].sort();
const missingFlows = async (url: string) =>
  (await query<{ id: string }>(url, "select id::text from bird.approval_flows where missing_since is not null order by id")).map(
    (r) => r.id,
  );
/** Everything stored about these flows' sync: a later snapshot must equal it to the microsecond. */
const flowRows = (url: string, ids: string[]) =>
  Promise.all([
    query(url, "select * from bird.sync_state where flow_id = any($1::uuid[]) order by flow_id", [ids]),
    query(url, "select * from bird.approval_flows where id = any($1::uuid[]) order by id", [ids]),
    query(url, "select * from bird.sync_passes where flow_id = any($1::uuid[]) order by id", [ids]),
  ]);

describe("two organizations in one database", () => {
  let a: FakeBirdApi;
  let b: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    [a, b] = await Promise.all([startFake({ flows: 3, runsPerFlow: 120, seed: 231 }), startFake({ flows: 3, runsPerFlow: 80, seed: 232 })]);
    url = await freshDatabaseUrl();
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });
  const env = (api: FakeBirdApi) => syncEnv(api, url, { SYNC_PAGE_SIZE: "25" });

  it("synced by two processes at once, each organization's runs, flows and states are exact; a flow one loses is missing for it alone", async () => {
    const [ra, rb] = await Promise.all([runCli(["sync", "--no-progress"], env(a)), runCli(["sync", "--no-progress"], env(b))]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    await expectTableEqualsFake(url, a);
    await expectTableEqualsFake(url, b);
    const [runs] = await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs");
    expect(runs!.n).toBe(3 * 120 + 3 * 80);
    const owners = await query<{ flow_id: string; organization_id: string; done: boolean }>(
      url,
      "select flow_id::text, organization_id, last_full_pass_at is not null as done from bird.sync_state order by flow_id",
    );
    const expected = [...a.store.flowIds().map((id) => [id, a.organizationId]), ...b.store.flowIds().map((id) => [id, b.organizationId])];
    expect(owners.map((o) => [o.flow_id, o.organization_id])).toEqual(expected.sort((x, y) => (x[0]! < y[0]! ? -1 : 1)));
    expect(owners.every((o) => o.done)).toBe(true);
    expect(await missingFlows(url)).toEqual([]);

    // Organization B loses a flow. Its next sync marks that one missing, and leaves A's rows exactly as
    // they were (before issue 23 it marked every flow of A missing); A's next sync leaves B's alone.
    const aRows = await flowRows(url, a.store.flowIds());
    const [gone] = b.store.flowIds() as [string];
    b.store.removeFlow(gone);
    expect(await syncInProcess(env(b))).toBe(0);
    expect(await missingFlows(url)).toEqual([gone]);
    expect(await flowRows(url, a.store.flowIds())).toEqual(aRows);
    const bRows = await flowRows(url, [...b.store.flowIds(), gone]);
    expect(await syncInProcess(env(a))).toBe(0);
    expect(await missingFlows(url)).toEqual([gone]);
    expect(await flowRows(url, [...b.store.flowIds(), gone])).toEqual(bRows);
    const [kept] = await query<{ n: number }>(
      url,
      "select count(*)::int as n from bird.approval_runs where approval_flow_id = $1 and deleted_at is null",
      [gone],
    );
    expect(kept!.n).toBe(80);
  });

  it("status, report and the status page show and filter by organization; SYNC_MAX_REQUESTS_PER_HOUR counts each one's own requests", async () => {
    const all = JSON.parse((await runCli(["status", "--json"], cliEnv({ DATABASE_URL: url }))).stdout) as Array<{
      flowId: string;
      organizationId: string;
    }>;
    expect(new Set(all.map((f) => f.organizationId))).toEqual(new Set([a.organizationId, b.organizationId]));
    const onlyA = JSON.parse(
      (await runCli(["status", "--json", "--org", a.organizationId.toUpperCase()], cliEnv({ DATABASE_URL: url }))).stdout,
    ) as Array<{
      flowId: string;
    }>;
    expect(sorted(onlyA.map((f) => f.flowId))).toEqual(sorted(a.store.flowIds()));
    expect((await runCli(["status"], cliEnv({ DATABASE_URL: url }))).stdout).toMatch(/^organization\s+flow\s/m);

    const report = async (...args: string[]) =>
      JSON.parse((await runCli(["report", ...args, "--format", "json"], cliEnv({ DATABASE_URL: url }))).stdout) as Array<
        Record<string, unknown>
      >;
    const summaryB = await report("summary", "--org", b.organizationId);
    expect(sorted(summaryB.map((r) => r.flow_id as string))).toEqual(sorted(await flowIdsOf(url, b.organizationId)));
    // Reviewers are summed over flows: with --org, over that organization's flows only.
    for (const api of [a, b]) {
      const decisions = (await report("reviewers", "--org", api.organizationId)).reduce((n, r) => n + Number(r.decisions), 0);
      const flows = await flowIdsOf(url, api.organizationId);
      const [stored] = await query<{ n: number }>(
        url,
        "select count(*)::int as n from bird.run_decisions where flow_id = any($1::uuid[])",
        [flows],
      );
      expect(decisions).toBe(stored!.n);
      expect(decisions).toBeGreaterThan(0);
      // The decision-history reports keep to the organization too.
      const windows = await report("decisions", "--org", api.organizationId, "--since", "2000-01-01");
      expect(new Set(windows.map((r) => r.flow_id as string)).size).toBeGreaterThan(0);
      expect(windows.every((r) => flows.includes(r.flow_id as string))).toBe(true);
      const [inView] = await query<{ n: number }>(url, "select count(*)::int as n from bird.decisions where flow_id = any($1::uuid[])", [
        flows,
      ]);
      expect(windows).toHaveLength(inView!.n);
    }

    const db = await openDatabase({ databaseUrl: url, pgliteDir: "" }, pino({ level: "silent" }));
    try {
      const page = await readStatusModel(db, {
        schedule: "*/5 * * * *",
        intervalMs: 300_000,
        showPayloads: false,
        organization: a.organizationId,
      });
      expect(sorted(page.flows.map((f) => f.flowId))).toEqual(sorted(a.store.flowIds()));
      expect(page.organizations.map((o) => o.organizationId).sort()).toEqual(sorted([a.organizationId, b.organizationId]));
      for (const api of [a, b]) {
        const [own] = await query<{ n: number }>(
          url,
          "select sum(p.requests)::int as n from bird.sync_passes p join bird.sync_state s using (flow_id) where s.organization_id = $1",
          [api.organizationId],
        );
        expect(await requestsInLastHour(db, api.organizationId)).toEqual({ used: own!.n, flows: 3 });
      }
    } finally {
      await db.close();
    }
  });

  it("demo exits 2 naming --force instead of writing its fake organization next to them, and writes nothing", async () => {
    const count = async () =>
      (
        await query<{ n: number }>(url, "select (select count(*) from bird.sync_state) + (select count(*) from bird.approval_runs) as n")
      )[0]!.n;
    const before = await count();
    const cwd = mkdtempSync(join(tmpdir(), "bas-demo-"));
    try {
      const demo = await runCli(["demo", "--no-progress", "--flows", "1", "--runs", "10"], cliEnv({ DATABASE_URL: url }), { cwd });
      expect(demo.code).toBe(2);
      expect(demo.stderr).toMatch(/holds another organization's data: .*--force/);
      expect(demo.stderr).toContain(a.organizationId);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
    expect(await count()).toBe(before);
  });
});

async function flowIdsOf(url: string, organization: string): Promise<string[]> {
  return (
    await query<{ id: string }>(url, "select flow_id::text as id from bird.sync_state where organization_id = $1", [organization])
  ).map((r) => r.id);
}
