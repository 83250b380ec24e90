// Issue 15 (6): --flow mistakes are blamed on the flag (exit 2), and a flow can be forgotten.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

const UNKNOWN = "0b6c2f9e-5a1d-4c3b-9e8f-1a2b3c4d5e6f";

describe("--flow", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({ flows: 2, runsPerFlow: 30, seed: 156 });
    url = await freshDatabaseUrl();
  });
  afterAll(async () => api.close());

  it.each([["sync"], ["backfill"], ["reset"], ["forget"]])("`%s --flow not-a-uuid` names the flag and exits 2", async (cmd) => {
    const r = await runCli([cmd, "--flow", "not-a-uuid"], syncEnv(api, url));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--flow <id>' argument 'not-a-uuid' is invalid\. must be a flow id, a uuid/);
    expect(r.stderr).not.toMatch(/BIRD_APPROVAL_IDS|invalid input syntax/);
  });

  const listed = async () =>
    (JSON.parse((await runCli(["status", "--json"], syncEnv(api, url))).stdout) as Array<{ flowId: string }>).map((f) => f.flowId).sort();
  const reported = async (name: string) =>
    (JSON.parse((await runCli(["report", name, "--format", "json"], syncEnv(api, url))).stdout) as Array<{ flow_id: string }>)
      .map((r) => r.flow_id)
      .sort();

  it("sync --flow with an id Bird does not have leaves no ghost behind (exit 1, the log says so)", async () => {
    const [a, b] = api.store.flowIds() as [string, string];
    expect(await syncInProcess(syncEnv(api, url))).toBe(0);
    const wrong = await runCli(["sync", "--no-progress", "--flow", UNKNOWN], syncEnv(api, url));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`Bird has no flow ${UNKNOWN} (HTTP 404): check the id; nothing was kept for it`);
    expect(await listed()).toEqual([a, b].sort());
    expect(await reported("summary")).toEqual([a, b].sort());
    expect(await reported("health")).toEqual([a, b].sort());
    for (const t of ["approval_flows where id", "sync_state where flow_id", "sync_passes where flow_id"]) {
      expect(await query(url, `select 1 from bird.${t} = $1`, [UNKNOWN])).toHaveLength(0);
    }
  });

  it("a known flow Bird no longer has stays missing, the log names forget, and forget (by its short id) removes it; runs stay unless --delete-runs", async () => {
    const [a, b] = api.store.flowIds() as [string, string];
    const c = api.store.addFlow(20);
    expect(await syncInProcess(syncEnv(api, url))).toBe(0);
    api.store.removeFlow(c);
    const gone = await runCli(["sync", "--no-progress", "--flow", c], syncEnv(api, url));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(
      `flow not found; marked missing (if it is gone for good, \`approvals-sync forget --flow ${c}\` removes it)`,
    );
    expect(await listed()).toEqual([a, b, c].sort());

    const forgot = await runCli(["forget", "--flow", c.slice(0, 8)], syncEnv(api, url));
    expect(forgot.code).toBe(0);
    expect(forgot.stderr).toMatch(/flow forgotten/);
    expect(await listed()).toEqual([a, b].sort());
    const unknown = await runCli(["forget", "--flow", UNKNOWN], syncEnv(api, url));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(new RegExp(`no flow ${UNKNOWN} in postgres://`));

    // A real flow: runs kept by default, deleted with --delete-runs; the other flow is untouched.
    const runsOf = async (id: string) =>
      (await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs where approval_flow_id = $1", [id]))[0]!.n;
    expect((await runCli(["forget", "--flow", a], syncEnv(api, url))).code).toBe(0);
    expect(await runsOf(a)).toBe(30);
    expect((await runCli(["forget", "--flow", a, "--delete-runs"], syncEnv(api, url))).code).toBe(0);
    expect(await runsOf(a)).toBe(0);
    expect(await runsOf(b)).toBe(30);
    expect(await syncInProcess(syncEnv(api, url))).toBe(0);
  });

  it("reset --flow with an unknown flow exits 2 naming it, and resets nothing", async () => {
    const [a] = api.store.flowIds() as [string];
    const fullPassAt = async () =>
      (await query<{ at: string | null }>(url, "select last_full_pass_at::text as at from bird.sync_state where flow_id = $1", [a]))[0]!.at;
    expect(await fullPassAt()).not.toBeNull();
    const r = await runCli(["reset", "--flow", `${a},${UNKNOWN}`], syncEnv(api, url));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`approvals-sync reset: no flow ${UNKNOWN} in postgres://`));
    expect(await fullPassAt()).not.toBeNull();
    expect((await runCli(["reset", "--flow", a.slice(0, 8)], syncEnv(api, url))).code).toBe(0);
    expect(await fullPassAt()).toBeNull();
  });

  it("--flow takes the short id status prints; an ambiguous or unknown start exits 2 naming the candidates", async () => {
    const [a] = api.store.flowIds() as [string];
    const short = a.slice(0, 8);
    api.resetCounters();
    const one = await runCli(["sync", "--no-progress", "--flow", short], syncEnv(api, url));
    expect(one.code).toBe(0);
    expect(Object.keys(api.counters.pageFetches).every((k) => k.startsWith(a))).toBe(true);
    expect(await reported("summary")).toContain(a);
    const summary = JSON.parse((await runCli(["report", "summary", "--format", "json", "--flow", short], syncEnv(api, url))).stdout);
    expect(summary.map((r: { flow_id: string }) => r.flow_id)).toEqual([a]);

    const twins = ["abcd0000-0000-4000-8000-000000000001", "abcd0000-0000-4000-8000-000000000002"];
    await query(url, "insert into bird.sync_state (flow_id) select unnest($1::uuid[])", [twins]);
    try {
      for (const cmd of [["reset"], ["sync", "--no-progress"], ["report", "summary"]]) {
        const r = await runCli([...cmd, "--flow", "abcd0000"], syncEnv(api, url));
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(
          /--flow abcd0000 is ambiguous: it starts abcd0000-0000-4000-8000-000000000001, abcd0000-0000-4000-8000-000000000002; give more of the id/,
        );
      }
      const none = await runCli(["reset", "--flow", "ffff9999"], syncEnv(api, url));
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/approvals-sync reset: no flow starts with ffff9999 in postgres:\/\//);
    } finally {
      await query(url, "delete from bird.sync_state where flow_id = any($1::uuid[])", [twins]);
    }
  });

  it("a flow another process is syncing is not forgotten", async () => {
    const [, b] = api.store.flowIds() as [string, string];
    await query(
      url,
      "update bird.sync_state set lease_owner = 'host-9:123', lease_expires_at = now() + interval '1 hour' where flow_id = $1",
      [b],
    );
    const r = await runCli(["forget", "--flow", b], syncEnv(api, url));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/flow .* is being synced by host-9:123/);
    expect(await query(url, "select 1 from bird.sync_state where flow_id = $1", [b])).toHaveLength(1);
  });
});
