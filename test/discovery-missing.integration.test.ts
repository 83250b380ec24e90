// Issue 15 (1): flows Bird stops listing, or lists as deleted, are marked missing and shown so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

describe("discovery of a flow Bird deleted", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({ flows: 3, runsPerFlow: 20, seed: 151 });
    url = await freshDatabaseUrl();
  });
  afterAll(async () => api.close());

  it("marks it missing, says Bird lists it as deleted, and keeps its runs", async () => {
    expect(await syncInProcess(syncEnv(api, url))).toBe(0);
    const [kept, , gone] = api.store.flowIds() as [string, string, string];
    api.store.removeFlow(gone);

    const second = await runCli(["sync", "--no-progress"], syncEnv(api, url));
    expect(second.code).toBe(0);
    const flows = await query<{ id: string; missing: boolean }>(
      url,
      "select id::text, missing_since is not null as missing from bird.approval_flows order by id",
    );
    expect(flows.filter((f) => f.missing).map((f) => f.id)).toEqual([gone]);
    expect(second.stderr).toMatch(/Bird lists these flows as deleted/);
    const [runs] = await query<{ n: number }>(
      url,
      "select count(*)::int as n from bird.approval_runs where approval_flow_id = $1 and deleted_at is null",
      [gone],
    );
    expect(runs!.n).toBe(20);

    const status = await runCli(["status", "--json"], syncEnv(api, url));
    const byId = new Map((JSON.parse(status.stdout) as Array<{ flowId: string; missingSince: string | null }>).map((f) => [f.flowId, f]));
    expect(byId.get(gone)!.missingSince).not.toBeNull();
    expect(byId.get(kept)!.missingSince).toBeNull();
    const table = await runCli(["status"], syncEnv(api, url));
    expect(table.stdout).toMatch(/deleted in Bird, missing since/);
  });
});
