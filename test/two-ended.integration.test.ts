// Issue 13 part 4 through the built CLI, against the simulation's model Bird served over HTTP: a
// two-ended backfill is exact; kill -9 during a two-ended reconcile, then `sync`, resumes both streams
// and marks deleted exactly the runs Bird deleted; an API that ignores `reverse` is listed from one end.
// Every sync here is a child process, even where only its exit code is checked: whether a second stream
// starts is timed by the syncing process (waiting on the API vs writing pages), and a sync sharing the
// test's event loop with the model server times differently (helpers/sync-in-process.ts).
import { afterAll, afterEach, expect, it } from "vitest";
import pino from "pino";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import { cliEnv, runCli, startCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { type ModelServer, serveModel } from "./helpers/model-server.js";
import { RecordingModel } from "./helpers/recording-model.js";
import { waitFor } from "./helpers/wait.js";
import { tableEqualsModel } from "./sim/checks.js";
import { type ModelFlow, type Quirks, POLITE } from "./sim/model-upstream.js";
import { rng } from "./sim/values.js";

const ORG = "0f0e0d0c-0b0a-4909-8807-060504030201";

let server: ModelServer | undefined;
const dbs: Database[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  for (const db of dbs) await db.close();
});

let seq = 0;

/** A model flow of `n` decided runs a second apart, a dozen of them on one millisecond; the CLI pointed at it. */
async function setup(quirks: Partial<Quirks>, n: number, listDelayMs = 0) {
  const m = new RecordingModel(rng(40 + seq++), { ...POLITE, ...quirks }, ORG);
  const flow = m.addFlow();
  const start = Date.parse("2026-03-01T00:00:00Z");
  for (let i = 0; i < n; i++) {
    const run = m.newRun(flow, start + (i > n / 3 && i < n / 3 + 12 ? Math.floor(n / 3) : i) * 1000, true);
    // Decided runs: the incremental pass that follows a resumed full pass then lists one page, not all.
    run.fields.status = '"approved"';
    m.render(run);
  }
  server = await serveModel(m, "model-key", { listDelayMs });
  const url = await freshDatabaseUrl();
  const env = cliEnv({
    BIRD_API_URL: server.url,
    BIRD_ACCESS_KEY: "model-key",
    BIRD_ORGANIZATION_ID: ORG,
    DATABASE_URL: url,
    SYNC_PAGE_SIZE: "10",
    BIRD_MAX_RPS: "0",
  });
  const config = loadConfig({ env: { DATABASE_URL: url, LOG_LEVEL: "silent" }, cwd: "/nonexistent" });
  const db = await openDatabase(config, pino({ level: "silent" }), { poolSize: 2 });
  dbs.push(db);
  return { m, flow, url, env, db };
}

async function statusOf(env: NodeJS.ProcessEnv): Promise<{ listOrder: string | null; reverseWorks: boolean | null }> {
  const r = await runCli(["status", "--json"], env);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ listOrder: string | null; reverseWorks: boolean | null }>)[0]!;
}

const deletedCount = async (url: string) =>
  (await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs where deleted_at is not null"))[0]!.n;

function deleteSome(flow: ModelFlow, picks: number[]): void {
  const ids = [...flow.runs.values()].sort((a, b) => a.createdMs - b.createdMs).map((r) => r.id);
  for (const i of picks) flow.runs.delete(ids[i]!);
}

it("kill -9 during a two-ended reconcile, then `sync`: both streams resume from their cursors, exact, only deleted runs marked", async () => {
  const { m, flow, url, env, db } = await setup({ defaultOrder: "desc", tiesAscending: true }, 600, 120);
  const backfill = await runCli(["sync", "--no-progress"], env);
  expect(backfill.code, backfill.stderr).toBe(0);
  expect(await tableEqualsModel(db, m)).toEqual([]);
  expect(m.count(true)).toBeGreaterThan(0);
  expect(m.repeated()).toBe(0);
  // Runs near the meeting are listed by both streams, and counted once (issue 24: 1,100 seen for 1,050).
  const [seen] = await query<{ n: number }>(url, "select sum(runs_seen)::int as n from bird.sync_passes where kind = 'full'");
  expect(seen!.n).toBe(600);
  expect(await statusOf(env)).toMatchObject({ listOrder: "desc", reverseWorks: true });

  deleteSome(flow, [0, 150, 420, 599]);
  m.lists.length = 0;
  const p = startCli(["sync", "--full", "--no-progress"], env);
  // Killed once each stream has committed pages of this pass (page 3 of a stream is asked for after page 1 is written).
  await waitFor(
    "both streams of the reconcile committed a page",
    async () =>
      m.count(true) >= 3 &&
      (await query<{ both: boolean }>(url, "select reverse_cursor is not null and cursor is not null as both from bird.sync_state"))[0]!
        .both,
    60_000,
    10,
  );
  p.child.kill("SIGKILL");
  expect((await p.done).signal).toBe("SIGKILL");
  const [mid] = await query<{ pass_kind: string | null; reverse_cursor: string | null }>(
    url,
    "select pass_kind, reverse_cursor from bird.sync_state",
  );
  expect(mid).toMatchObject({ pass_kind: "full" });
  expect(mid!.reverse_cursor).not.toBeNull();
  const killedAt = m.lists.length;

  const resumed = await runCli(["sync", "--no-progress"], env);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(await tableEqualsModel(db, m)).toEqual([]);
  expect(await deletedCount(url)).toBe(4);
  const after = m.lists.slice(killedAt);
  // The reverse stream went on from its cursor (it never asked for its first page again) ...
  expect(after.some((l) => l.reverse)).toBe(true);
  expect(after.filter((l) => l.reverse && l.token === undefined)).toEqual([]);
  // ... and only the pages in flight at the kill (two per stream), plus the first page the incremental
  // pass after a resumed full pass lists, were fetched twice.
  expect(m.repeated()).toBeLessThanOrEqual(5);
  const passes = await query<{ outcome: string; from_first_page: boolean }>(
    url,
    "select outcome, from_first_page from bird.sync_passes where kind = 'full' order by id",
  );
  expect(passes.filter((x) => x.outcome === "completed")).toHaveLength(2);
});

it("an API that ignores reverse: one probe request, one stream, exact; status says so and later passes do not probe", async () => {
  // Answers 250 ms after a list request: the listing waits on the API far longer than it writes a page
  // of 10 runs, even with both cores busy (at 30 ms a loaded machine wrote slower than it waited, no
  // second stream was tried, and the probe was never sent), so a second stream is tried.
  const { m, flow, env, db, url } = await setup({ defaultOrder: "asc", reverseHonoured: false }, 120, 250);
  const r = await runCli(["sync", "--no-progress"], env);
  expect(r.code, r.stderr).toBe(0);
  expect(await tableEqualsModel(db, m)).toEqual([]);
  expect(m.count(true)).toBe(1);
  expect(m.count(false)).toBe(12);
  expect(await statusOf(env)).toEqual(expect.objectContaining({ listOrder: "asc", reverseWorks: false }));

  deleteSome(flow, [3, 77]);
  m.lists.length = 0;
  const again = await runCli(["sync", "--full", "--no-progress"], env);
  expect(again.code, again.stderr).toBe(0);
  expect(await tableEqualsModel(db, m)).toEqual([]);
  expect(await deletedCount(url)).toBe(2);
  expect(m.count(true)).toBe(0);
});
