// Issue 20 (5): time decisions at stored precision. Bird may send createdAt with 7-9 fraction digits;
// PostgreSQL rounds them to the microsecond (`.123999600` is stored `.124000`), so a watermark can be
// rounded up past runs Bird lists as newer. No such run may be skipped by an incremental pass.
import { afterEach, describe, expect, it } from "vitest";
import { instantUs } from "../src/bird/date-time.js";
import { cliEnv } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { type ModelServer, serveModel } from "./helpers/model-server.js";
import { syncInProcess } from "./helpers/sync-in-process.js";
import { type ModelFlow, type ModelRun, ModelUpstream, POLITE } from "./sim/model-upstream.js";
import { rng, uuid } from "./sim/values.js";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * A decided run created at exactly this text. `sortKey` is Bird's own order (the model sorts by it):
 * Bird orders by the full precision it sent, which a millisecond number cannot hold.
 */
function runAt(m: ModelUpstream, flow: ModelFlow, sortKey: number, createdAt: string): ModelRun {
  const run = m.newRun(flow, sortKey, true);
  run.fields = {
    status: '"approved"',
    tags: "[]",
    results: "[]",
    createdAt: JSON.stringify(createdAt),
    updatedAt: JSON.stringify(createdAt),
  };
  m.render(run);
  return run;
}

describe("time decisions at stored precision", () => {
  it.each([
    { order: "newest first", quirks: {} },
    { order: "oldest first (listed with reverse=true)", quirks: { defaultOrder: "asc" as const } },
  ])("an incremental sync stores every run newer than a watermark PostgreSQL rounded up ($order)", async ({ quirks }) => {
    const m = new ModelUpstream(rng(20), { ...POLITE, ...quirks }, "0f0e0d0c-0b0a-4909-8807-060504030201");
    const flow = m.addFlow();
    server = await serveModel(m);
    const url = await freshDatabaseUrl();
    const env = cliEnv({
      BIRD_API_URL: server.url,
      BIRD_ACCESS_KEY: "model-key",
      BIRD_ORGANIZATION_ID: m.orgId,
      DATABASE_URL: url,
      SYNC_PAGE_SIZE: "2",
      BIRD_MAX_RPS: "0",
    });
    for (let i = 1; i <= 3; i++) runAt(m, flow, i, `2025-06-01T11:59:5${i}.500Z`);
    // The newest run when the watermark is set: stored as .124000, the watermark rounded up.
    runAt(m, flow, 10, "2025-06-01T12:00:00.123999600Z");
    expect(await syncInProcess(env)).toBe(0);
    const [state] = await query<{ hwm: string }>(
      url,
      `select to_char(high_water_mark at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as hwm from bird.sync_state`,
    );
    expect(state!.hwm).toBe("2025-06-01T12:00:00.124000");

    // Newer than that run by tenths of a microsecond (7, 8 and 9 fraction digits), each stored as
    // .124000 too, so none is older than the watermark as stored; and one a second newer, so the
    // listing's first page shows newest-first order (the proof it needs to stop early).
    const added = [
      runAt(m, flow, 11, "2025-06-01T12:00:00.1239997Z"),
      runAt(m, flow, 12, "2025-06-01T12:00:00.12399980Z"),
      runAt(m, flow, 13, "2025-06-01T12:00:00.123999900Z"),
      runAt(m, flow, 14, "2025-06-01T12:00:01Z"),
    ];
    expect(await syncInProcess(env)).toBe(0);
    const [pass] = await query<{ kind: string; runs_inserted: number }>(
      url,
      "select kind, runs_inserted from bird.sync_passes where outcome = 'completed' order by id desc limit 1",
    );
    expect(pass).toEqual({ kind: "incremental", runs_inserted: 4 });
    const stored = await query<{ id: string; at: string }>(
      url,
      `select id::text, to_char(created_at at time zone 'UTC', 'HH24:MI:SS.US') as at from bird.approval_runs where id = any($1::uuid[])`,
      [added.map((a) => a.id)],
    );
    expect(stored.map((s) => s.id).sort()).toEqual(added.map((a) => a.id).sort());
    expect(new Set(stored.map((s) => s.at))).toEqual(new Set(["12:00:00.124000", "12:00:01.000000"]));
  });

  it("runs in the watermark's millisecond that Bird lists by id, not by their microseconds, do not end the listing", async () => {
    const m = new ModelUpstream(rng(21), POLITE, "0f0e0d0c-0b0a-4909-8807-060504030201");
    const flow = m.addFlow();
    server = await serveModel(m);
    const url = await freshDatabaseUrl();
    const env = cliEnv({
      BIRD_API_URL: server.url,
      BIRD_ACCESS_KEY: "model-key",
      BIRD_ORGANIZATION_ID: m.orgId,
      DATABASE_URL: url,
      SYNC_PAGE_SIZE: "3",
      BIRD_MAX_RPS: "0",
    });
    const ms = Date.parse("2025-06-01T12:00:00.123Z");
    for (let i = 1; i <= 3; i++) runAt(m, flow, ms - i * 10_000, `2025-06-01T11:59:${50 - i}.500Z`);
    // Bird's keyset is [createdAtMillis, id]: within one millisecond it lists by id (descending here),
    // whatever the microseconds say. Ids: the mark's highest, then `early`, then `late`.
    const [markId, earlyId, lateId] = [uuid(m.r), uuid(m.r), uuid(m.r)].sort().reverse() as [string, string, string];
    const withId = (run: ModelRun, id: string) => {
      flow.runs.delete(run.id);
      run.id = id;
      run.apiId = id;
      m.render(run);
      flow.runs.set(id, run);
      return run;
    };
    withId(runAt(m, flow, ms, "2025-06-01T12:00:00.123500Z"), markId);
    withId(runAt(m, flow, ms, "2025-06-01T12:00:00.123100Z"), earlyId);
    expect(await syncInProcess(env)).toBe(0);
    // Newer than the mark, in its millisecond, but listed after `early`.
    const late = withId(runAt(m, flow, ms, "2025-06-01T12:00:00.123900Z"), lateId);
    const newest = runAt(m, flow, ms + 1000, "2025-06-01T12:00:01.000Z");
    // The first page is [newest, mark, early]: newest-first order shown, and `early` is below the mark
    // by its microseconds, yet `late` comes on the next page.
    expect(await syncInProcess(env)).toBe(0);
    const stored = await query(url, "select 1 from bird.approval_runs where id = any($1::uuid[])", [[late.id, newest.id]]);
    expect(stored).toHaveLength(2);
    const [state] = await query<{ list_order: string }>(url, "select list_order from bird.sync_state");
    expect(state!.list_order).toBe("desc");
  });

  it("reads an RFC 3339 fraction of any length to the microsecond PostgreSQL stores, ties included", async () => {
    const r = rng(2020);
    const digits = (n: number) => Array.from({ length: n }, () => r.int(0, 9)).join("");
    const texts = ["2025-06-01T12:00:00.123999600Z", "2025-06-01T12:00:59.9999995Z", "2016-12-31T23:59:60Z"];
    for (let i = 0; i < 600; i++) {
      const n = r.int(7, 9);
      // Half of them end in 5 after the sixth digit: the ties PostgreSQL's rounding decides.
      const fraction = r.chance(0.5) ? `${digits(6)}5${"0".repeat(n - 7)}` : digits(n);
      const zone = r.pick(["Z", "z", "+05:30", "-23:59", "+16:00", "-00:00"]);
      texts.push(
        `20${r.int(10, 40)}-0${r.int(1, 9)}-1${r.int(0, 9)}${r.pick(["T", "t", " "])}1${r.int(0, 9)}:3${r.int(0, 9)}:5${r.int(0, 9)}.${fraction}${zone}`,
      );
    }
    const url = await freshDatabaseUrl();
    // Through bird.rfc3339, the conversion the page write uses (offsets beyond ±15:59 included).
    const rows = await query<{ t: string; us: string }>(
      url,
      "select t, (extract(epoch from bird.rfc3339(t)) * 1000000)::bigint::text as us from unnest($1::text[]) as t",
      [texts],
    );
    const disagree = rows.filter((row) => String(instantUs(row.t)) !== row.us);
    expect(disagree).toEqual([]);
    expect(rows).toHaveLength(texts.length);
  });
});
