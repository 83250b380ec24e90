// Issue 15 (9): sync_passes no longer grows forever; SYNC_HISTORY_DAYS bounds it (daemon and sync).
import { afterEach, describe, expect, it } from "vitest";
import { daemonHarness } from "./helpers/daemon.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";
import { waitFor } from "./helpers/wait.js";

const { startDaemon, fake, cleanup } = daemonHarness();
afterEach(cleanup);

/** Ages every pass of the flow but its newest by `days`, and adds one very old finished pass of a flow with no other. */
async function ageHistory(url: string, days: number): Promise<{ kept: number[]; aged: number }> {
  const aged = await query(
    url,
    `update bird.sync_passes p set started_at = started_at - make_interval(days => $1), finished_at = finished_at - make_interval(days => $1)
     where id < (select max(id) from bird.sync_passes l where l.flow_id = p.flow_id) returning id`,
    [days],
  );
  const newest = await query<{ id: number }>(url, "select max(id)::int as id from bird.sync_passes group by flow_id");
  return { kept: newest.map((r) => r.id), aged: aged.length };
}

async function passIds(url: string): Promise<number[]> {
  return (await query<{ id: number }>(url, "select id::int from bird.sync_passes order by id")).map((r) => r.id);
}

describe("sync_passes retention", () => {
  it("`sync` prunes passes older than SYNC_HISTORY_DAYS but keeps each flow's latest", async () => {
    const api = await fake({ flows: 2, runsPerFlow: 30, seed: 159 });
    const url = await freshDatabaseUrl();
    for (let i = 0; i < 3; i++) expect(await syncInProcess(syncEnv(api, url))).toBe(0);
    const { kept, aged } = await ageHistory(url, 40);
    expect(aged).toBe(4);
    const before = await passIds(url);

    expect(await syncInProcess(syncEnv(api, url, { SYNC_HISTORY_DAYS: "30" }))).toBe(0);
    const after = await passIds(url);
    // The aged ones went; the formerly newest (now second newest, but recent) and this run's stayed.
    expect(after.filter((id) => before.includes(id)).sort()).toEqual(kept.sort());
    expect(after.length).toBe(4);
  });

  it("SYNC_HISTORY_DAYS=0 keeps everything", async () => {
    const api = await fake({ flows: 1, runsPerFlow: 10, seed: 160 });
    const url = await freshDatabaseUrl();
    for (let i = 0; i < 2; i++) expect(await syncInProcess(syncEnv(api, url))).toBe(0);
    await ageHistory(url, 4000);
    expect(await syncInProcess(syncEnv(api, url, { SYNC_HISTORY_DAYS: "0" }))).toBe(0);
    expect(await passIds(url)).toHaveLength(3);
  });

  it("the daemon prunes with the default of 30 days", async () => {
    const api = await fake({ flows: 2, runsPerFlow: 30, seed: 161 });
    const url = await freshDatabaseUrl();
    for (let i = 0; i < 2; i++) expect(await syncInProcess(syncEnv(api, url))).toBe(0);
    const { kept } = await ageHistory(url, 31);
    const d = startDaemon(syncEnv(api, url, { METRICS_PORT: "0", SYNC_SCHEDULE: "0 0 1 1 *" }));
    await waitFor("the daemon to log its prune", () => /pruned old sync_passes rows/.test(d.stderr()));
    expect(await query(url, "select 1 from bird.sync_passes where started_at < now() - interval '30 days'")).toHaveLength(0);
    const after = await passIds(url);
    for (const id of kept) expect(after).toContain(id);
    d.child.kill("SIGTERM");
    expect((await d.done).code).toBe(0);
  });
});
