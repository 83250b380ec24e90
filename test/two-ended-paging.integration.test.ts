// Issue 13 part 4: a full pass of a large flow lists it from both ends and stops where the streams meet.
// In-process against the simulation's model Bird: exact tables, every page fetched once, deletion only
// after the seen set holds both streams' ids, an API that ignores `reverse` listed from one end, and a
// worker killed mid two-ended pass resumed (both streams) by the next one.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { sql } from "drizzle-orm";
import { type Config, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import type { Upstream } from "../src/bird/client.js";
import { type SyncContext, syncSettingsOf } from "../src/sync/context.js";
import { runSyncCycle } from "../src/sync/cycle.js";
import { Meeting } from "../src/sync/meeting.js";
import { Pace } from "../src/sync/pace.js";
import { freshDatabaseUrl } from "./helpers/db.js";
import { tableEqualsModel } from "./sim/checks.js";
import { RecordingModel } from "./helpers/recording-model.js";
import { type ModelFlow, type ModelUpstream, type Quirks, POLITE } from "./sim/model-upstream.js";
import { rng } from "./sim/values.js";

const silent = pino({ level: "silent" });

let db: Database;
let config: Config;
beforeAll(async () => {
  const url = await freshDatabaseUrl();
  config = loadConfig({
    env: { DATABASE_URL: url, BIRD_ACCESS_KEY: "k", BIRD_ORGANIZATION_ID: "o", LOG_LEVEL: "silent" },
    cwd: "/nonexistent",
    requireBird: true,
  });
  db = await openDatabase(config, silent, { poolSize: 6 });
});
afterAll(async () => db?.close());

/** A model with one flow of `n` runs, 1 s apart, with a block of runs on one millisecond in the middle. */
function model(quirks: Partial<Quirks>, n: number, seed: number): { m: RecordingModel; flow: ModelFlow } {
  const m = new RecordingModel(rng(seed), { ...POLITE, ...quirks }, "0f0e0d0c-0b0a-4909-8807-060504030201");
  const flow = m.addFlow();
  const start = Date.parse("2026-01-01T00:00:00Z");
  for (let i = 0; i < n; i++) m.newRun(flow, start + (i > n / 2 - 6 && i < n / 2 + 6 ? Math.floor(n / 2) : i) * 1000, true);
  return { m, flow };
}

function ctxOf(m: ModelUpstream, flow: ModelFlow, database: Database, owner: string, onlyWhenWaiting = false): SyncContext {
  const settings = { ...syncSettingsOf(config), approvalIds: [flow.apiId], pageSize: 5, concurrency: 1, twoEndedPages: 2 };
  return { db: database, client: m, settings, logger: silent, owner, observer: {}, secondStreamOnlyWhenWaiting: onlyWhenWaiting };
}

const full = (ctx: SyncContext) => runSyncCycle(ctx, { full: true, respectBackoff: false, signal: new AbortController().signal });

async function state(flowId: string) {
  const [row] = await db.rows<{ reverse_works: boolean | null; cursor: string | null; reverse_cursor: string | null; seen: number }>(sql`
    select reverse_works, cursor, reverse_cursor, (select count(*)::int from bird.sync_seen where flow_id = ${flowId}::uuid) as seen
    from bird.sync_state where flow_id = ${flowId}::uuid`);
  return row!;
}

async function completedFullPasses(flowId: string): Promise<number> {
  const [row] = await db.rows<{ n: number }>(sql`
    select count(*)::int as n from bird.sync_passes where flow_id = ${flowId}::uuid and kind = 'full' and outcome = 'completed'`);
  return row!.n;
}

/** The database of a worker killed with kill -9 once `dead()` says so: nothing after that reaches PostgreSQL. */
function killable(inner: Database, dead: () => boolean): Database {
  const check = () => {
    if (dead()) throw new Error("killed");
  };
  const wrap =
    (rows: Database["rows"]): Database["rows"] =>
    async (q, opts) => {
      check();
      const out = await rows(q, opts);
      check();
      return out as never;
    };
  return {
    ...inner,
    rows: wrap(inner.rows),
    transaction: (fn) => inner.transaction((tx) => fn({ rows: wrap(tx.rows.bind(tx)) })),
    close: async () => undefined,
  };
}

describe("when a second stream is started", () => {
  it("Pace: only while the default stream waits for pages longer than it writes them", () => {
    const pace = new Pace();
    expect(pace.waitsOnApi).toBe(false); // nothing measured yet
    pace.note(100, 5); // the first page: a round trip, then a quick write
    expect(pace.waitsOnApi).toBe(true);
    pace.note(0, 40);
    pace.note(0, 40);
    pace.note(1, 30); // prefetched pages arrive at once and the writes are the wait
    expect(pace.waitsOnApi).toBe(false);
    expect(pace.averages()).toEqual({ waitedMs: 25, wroteMs: 29 });
  });

  it("an API that answers slowly gets its second stream, exact, no page fetched twice", async () => {
    const { m: slow, flow } = model({}, 60, 902);
    // 300 ms per list request: far longer than writing a page of five runs, however busy the machine.
    const waiting: Upstream = {
      listRuns: async (flowId, page, ctx) => (await sleep(300), slow.listRuns(flowId, page, ctx)),
      getRun: (flowId, runId, ctx) => slow.getRun(flowId, runId, ctx),
      listFlows: (ctx) => slow.listFlows(ctx),
    };
    const ctx = { ...ctxOf(slow, flow, db, "pace:slow", true), client: waiting };
    expect(await full(ctx)).toMatchObject({ flows: [{ outcome: "completed" }] });
    expect(slow.count(true)).toBeGreaterThan(0);
    expect(slow.repeated()).toBe(0);
    expect(await tableEqualsModel(db, slow)).toEqual([]);
  });
});

describe("two-ended full pass", () => {
  const orders: Array<[string, Partial<Quirks>]> = [
    ["newest first, mirrored ties", { defaultOrder: "desc" }],
    ["oldest first, ties in id order both ways", { defaultOrder: "asc", tiesAscending: true }],
    ["newest first, ties in id order both ways", { defaultOrder: "desc", tiesAscending: true }],
  ];
  for (const [i, [name, quirks]] of orders.entries()) {
    it(`${name}: exact backfill and reconcile, each page fetched once, both ends used`, async () => {
      const { m, flow } = model(quirks, 73, 11 + i * 100);
      const ctx = ctxOf(m, flow, db, "t:1");
      expect((await full(ctx)).flows[0]?.outcome).toBe("completed");
      expect(await tableEqualsModel(db, m)).toEqual([]);
      expect(m.count(true)).toBeGreaterThan(0);
      expect(m.count(true, true)).toBe(1);
      expect(m.repeated()).toBe(0);
      // 15 pages in all: the two streams together fetch them, plus at most one in flight on each when they meet.
      expect(m.lists.length).toBeLessThanOrEqual(15 + 2);
      expect(await state(flow.id)).toMatchObject({ reverse_works: true, cursor: null, reverse_cursor: null, seen: 0 });

      // Upstream deletes three runs (one from each end and one from the middle) and adds two.
      const ids = [...flow.runs.values()].sort((a, b) => a.createdMs - b.createdMs).map((r) => r.id);
      for (const id of [ids[0]!, ids[36]!, ids[72]!]) flow.runs.delete(id);
      m.newRun(flow, Date.parse("2026-02-01T00:00:00Z"), true);
      m.newRun(flow, Date.parse("2025-02-01T00:00:00Z"), true);
      m.lists.length = 0;
      expect((await full(ctx)).flows[0]?.outcome).toBe("completed");
      expect(await tableEqualsModel(db, m)).toEqual([]);
      expect(m.count(true)).toBeGreaterThan(0);
      expect(m.repeated()).toBe(0);
      const [deleted] = await db.rows<{ n: number }>(sql`
        select count(*)::int as n from bird.approval_runs where approval_flow_id = ${flow.id}::uuid and deleted_at is not null`);
      expect(deleted!.n).toBe(3);
      expect(await completedFullPasses(flow.id)).toBe(2);
    });
  }

  it("an API that ignores reverse: one probe request, then one stream, exact; later passes do not probe", async () => {
    const { m, flow } = model({ defaultOrder: "asc", reverseHonoured: false }, 48, 12);
    const ctx = ctxOf(m, flow, db, "t:2");
    expect((await full(ctx)).flows[0]?.outcome).toBe("completed");
    expect(await tableEqualsModel(db, m)).toEqual([]);
    expect(m.count(true)).toBe(1);
    expect(m.count(false)).toBe(10);
    expect(await state(flow.id)).toMatchObject({ reverse_works: false, reverse_cursor: null });
    m.lists.length = 0;
    flow.runs.delete([...flow.runs.keys()][5]!);
    expect((await full(ctx)).flows[0]?.outcome).toBe("completed");
    expect(await tableEqualsModel(db, m)).toEqual([]);
    expect(m.count(true)).toBe(0);
  });

  it("a small flow (one page) costs no reverse request", async () => {
    const { m, flow } = model({}, 4, 13);
    expect((await full(ctxOf(m, flow, db, "t:3"))).flows[0]?.outcome).toBe("completed");
    expect(await tableEqualsModel(db, m)).toEqual([]);
    expect(m.lists).toEqual([{ reverse: false, token: undefined }]);
  });

  for (const killAt of [3, 4, 6]) {
    it(`kill -9 mid two-ended reconcile (once the reverse stream asked for page ${killAt}), then a new worker: both streams resume, exact, nothing wrongly deleted`, async () => {
      const { m, flow } = model({ defaultOrder: "desc", tiesAscending: killAt === 4 }, 90, 20 + killAt);
      expect((await full(ctxOf(m, flow, db, `t:k${killAt}:0`))).flows[0]?.outcome).toBe("completed");
      const sorted = [...flow.runs.values()].sort((a, b) => a.createdMs - b.createdMs).map((r) => r.id);
      for (const id of [sorted[1]!, sorted[45]!, sorted[88]!]) flow.runs.delete(id);
      m.lists.length = 0;
      // Page n of a stream is asked for once page n - 2 is committed: the reverse stream has a cursor.
      const dead = () => m.count(true) >= killAt;
      const killed = ctxOf(m, flow, killable(db, dead), `t:k${killAt}:1`);
      await full(killed).catch(() => undefined);
      const mid = await state(flow.id);
      expect(mid.cursor).not.toBeNull();
      expect(mid.reverse_cursor).not.toBeNull();
      // The dead worker's lease runs out; the next worker resumes the pass.
      await db.rows(sql`update bird.sync_state set lease_expires_at = now() - interval '1 second' where flow_id = ${flow.id}::uuid`);
      const before = m.lists.length;
      expect((await full(ctxOf(m, flow, db, `t:k${killAt}:2`))).flows[0]?.outcome).toBe("completed");
      expect(await tableEqualsModel(db, m)).toEqual([]);
      const resumed = m.lists.slice(before);
      // Both streams went on from their cursors: neither started again at its first page.
      expect(resumed.filter((l) => l.token === undefined && l.reverse)).toEqual([]);
      expect(resumed.some((l) => l.reverse)).toBe(true);
      // Only pages in flight at the kill (at most two per stream) were fetched again, and the incremental
      // pass after a resumed one lists the first page again.
      expect(m.repeated()).toBeLessThanOrEqual(5);
      const [deleted] = await db.rows<{ n: number }>(sql`
        select count(*)::int as n from bird.approval_runs where approval_flow_id = ${flow.id}::uuid and deleted_at is not null`);
      expect(deleted!.n).toBe(3);
    });
  }
});

describe("Meeting", () => {
  const rec = (id: string, ms: number) => ({ id, createdAt: new Date(ms).toISOString() });
  const page = (m: Meeting, side: "f" | "r", runs: Array<{ id: string; createdAt: string }>) =>
    m.add(
      side,
      runs.map((r) => r.id),
      runs,
    );

  it("an id both streams listed on one millisecond is not yet a meeting: runs tied with it may be on neither side", async () => {
    const m = new Meeting();
    expect(page(m, "f", [rec("a", 9), rec("b", 8), rec("t1", 5)])).toBe(false);
    expect(page(m, "r", [rec("c", 1), rec("d", 2), rec("t1", 5)])).toBe(false);
    expect(m.untrusted).toBeUndefined();
    // The default stream goes on past the tied millisecond: now the two have crossed.
    expect(page(m, "f", [rec("t2", 5), rec("t3", 5), rec("d", 2)])).toBe(true);
  });

  it("the same order on both sides is never a meeting", () => {
    const m = new Meeting();
    page(m, "f", [rec("a", 9), rec("b", 8)]);
    expect(page(m, "r", [rec("a", 9), rec("b", 8)])).toBe(false);
    expect(m.untrusted).toBe("same-order");
  });

  it("a restart keeps the proof that the streams overlapped", () => {
    const m = new Meeting([
      ["x", "b"],
      ["a", "f"],
      ["c", "r"],
    ]);
    page(m, "f", [rec("e", 6), rec("d", 4)]);
    expect(page(m, "r", [rec("q", 3), rec("p", 5)])).toBe(true);
  });
});
