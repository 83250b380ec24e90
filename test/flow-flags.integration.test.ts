// Issue 15 (6): --flow mistakes are blamed on the flag (exit 2), and a flow can be forgotten.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";

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

  it("a flow synced by mistake can be forgotten; its runs stay unless --delete-runs", async () => {
    const [a, b] = api.store.flowIds() as [string, string];
    expect((await runCli(["sync", "--no-progress"], syncEnv(api, url))).code).toBe(0);
    const wrong = await runCli(["sync", "--no-progress", "--flow", UNKNOWN], syncEnv(api, url));
    expect(wrong.code).toBe(1);
    const listed = async () =>
      (JSON.parse((await runCli(["status", "--json"], syncEnv(api, url))).stdout) as Array<{ flowId: string }>).map((f) => f.flowId).sort();
    expect(await listed()).toEqual([a, b, UNKNOWN].sort());

    const forgot = await runCli(["forget", "--flow", UNKNOWN], syncEnv(api, url));
    expect(forgot.code).toBe(0);
    expect(forgot.stderr).toMatch(/flow forgotten/);
    expect(await listed()).toEqual([a, b].sort());
    for (const t of ["approval_flows where id", "sync_state where flow_id", "sync_passes where flow_id"]) {
      expect(await query(`${url}`, `select 1 from bird.${t} = $1`, [UNKNOWN])).toHaveLength(0);
    }
    const again = await runCli(["forget", "--flow", UNKNOWN], syncEnv(api, url));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no flow 0b6c2f9e-.* in postgres:\/\//);

    // A real flow: runs kept by default, deleted with --delete-runs; the other flow is untouched.
    const runsOf = async (id: string) =>
      (await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs where approval_flow_id = $1", [id]))[0]!.n;
    expect((await runCli(["forget", "--flow", a], syncEnv(api, url))).code).toBe(0);
    expect(await runsOf(a)).toBe(30);
    expect((await runCli(["forget", "--flow", a, "--delete-runs"], syncEnv(api, url))).code).toBe(0);
    expect(await runsOf(a)).toBe(0);
    expect(await runsOf(b)).toBe(30);
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
