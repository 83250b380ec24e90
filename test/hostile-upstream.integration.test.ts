// Issue 12, principle by principle, through the built CLI against a model Bird that serves byte-exact,
// legal-but-unusual data: values stay verbatim on every path, no record can block its flow, every
// RFC 3339 form is read, watermarks cannot be fooled, deletions need proof, exit codes tell the truth.
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { type ModelServer, serveModel } from "./helpers/model-server.js";
import { syncInProcess } from "./helpers/sync-in-process.js";
import { type ModelFlow, type ModelRun, ModelUpstream, type Quirks, POLITE } from "./sim/model-upstream.js";
import { rng } from "./sim/values.js";

const NOW = Date.now();
const MINUTE = 60_000;

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(quirks: Partial<Quirks> = {}, pageSize = 5) {
  const m = new ModelUpstream(rng(7), { ...POLITE, ...quirks }, "0f0e0d0c-0b0a-4909-8807-060504030201");
  server = await serveModel(m);
  const url = await freshDatabaseUrl();
  const env = cliEnv({
    BIRD_API_URL: server.url,
    BIRD_ACCESS_KEY: "model-key",
    BIRD_ORGANIZATION_ID: m.orgId,
    DATABASE_URL: url,
    SYNC_PAGE_SIZE: String(pageSize),
    BIRD_MAX_RPS: "0",
    // Every pending run is re-read on every pass: these tests prove the GET-by-id path.
    SYNC_RECHECK_FACTOR: "0",
  });
  const sync = (...args: string[]) => runCli(["sync", "--no-progress", ...args], env);
  /** A sync whose output is not the point: in this process, its exit code. */
  const quietSync = (full = false) => syncInProcess(env, { full });
  return { m, url, env, sync, quietSync, flow: m.addFlow() };
}

/** A run whose fields are exactly these texts (plus the defaults a run needs). */
function runWith(m: ModelUpstream, flow: ModelFlow, createdMs: number, fields: Record<string, string>): ModelRun {
  const run = m.newRun(flow, createdMs, true);
  run.fields = {
    status: '"approved"',
    tags: "[]",
    results: "[]",
    createdAt: JSON.stringify(new Date(createdMs).toISOString()),
    updatedAt: JSON.stringify(new Date(createdMs).toISOString()),
    ...fields,
  };
  m.render(run);
  return run;
}

function addRuns(m: ModelUpstream, flow: ModelFlow, n: number, from: number, step = 1000): ModelRun[] {
  return Array.from({ length: n }, (_, i) => runWith(m, flow, from + i * step, {}));
}

const lastPass = async (url: string) =>
  (
    await query<{ runs_inserted: number; runs_updated: number; runs_rejected: number; kind: string }>(
      url,
      "select runs_inserted, runs_updated, runs_rejected, kind from bird.sync_passes where outcome = 'completed' order by id desc limit 1",
    )
  )[0]!;

describe("verbatim everywhere", () => {
  it("numbers and escapes keep their text through backfill, GET-by-id re-reads and full reconciles", async () => {
    const { m, url, quietSync, flow } = await setup({}, 2);
    const numbers = '{"big": 12345678901234567890, "price": 1.10, "huge": 1e400}';
    const escapes = '{"s":"\\ud83d\\ude80","p":"C:\\\\u0000dir","t":1.10}';
    const pending = runWith(m, flow, NOW - 60 * MINUTE, { status: '"pending"', object: numbers });
    const listed = runWith(m, flow, NOW - 59 * MINUTE, { object: escapes });
    addRuns(m, flow, 6, NOW - 50 * MINUTE);
    const objectText = async (id: string) =>
      (await query<{ t: string; want: string }>(url, "select object::text as t from bird.approval_runs where id = $1", [id]))[0]!.t;
    const exact = async (text: string) => (await query<{ t: string }>(url, "select $1::jsonb::text as t", [text]))[0]!.t;

    expect(await quietSync()).toBe(0);
    expect(await objectText(pending.id)).toBe(await exact(numbers));
    expect(await objectText(listed.id)).toBe(await exact(escapes));
    expect(await objectText(listed.id)).toContain('"C:\\\\u0000dir"');

    for (const args of [[], ["--full"], []]) {
      const before = server!.requests.get;
      expect(await quietSync(args.includes("--full"))).toBe(0);
      if (args.length === 0) expect(server!.requests.get).toBeGreaterThan(before); // the pending run was re-read by id
      expect(await lastPass(url)).toMatchObject({ runs_inserted: 0, runs_updated: 0 });
      expect(await objectText(pending.id)).toBe(await exact(numbers));
      expect(await objectText(listed.id)).toBe(await exact(escapes));
    }
  });
});

describe("valid means storable: no record can fail a page, a GET batch or a pass", () => {
  it("quarantines what PostgreSQL refuses, record by record, and the flow goes on syncing", async () => {
    const { m, url, sync, quietSync, flow } = await setup({}, 4);
    const good = addRuns(m, flow, 5, NOW - 100 * MINUTE);
    const refused = [
      runWith(m, flow, NOW - 90 * MINUTE, { activeStep: "1e999999" }),
      runWith(m, flow, NOW - 89 * MINUTE, { object: '{"n":1e1000000}' }),
      runWith(m, flow, NOW - 88 * MINUTE, { createdAt: '"0000-01-01T00:00:00Z"' }),
      runWith(m, flow, NOW - 87 * MINUTE, { object: '{"note":"nul\\u0000"}' }),
      runWith(m, flow, NOW - 86 * MINUTE, { object: '{"lone":"\\ud800"}' }),
    ];
    // Two different invalid copies of one run on one page.
    const twice = runWith(m, flow, NOW - 85 * MINUTE, { status: '"archived"' });
    const copy = runWith(m, flow, NOW - 85 * MINUTE + 1, { status: '"maybe"' });
    flow.runs.delete(copy.id);
    copy.id = twice.id;
    copy.apiId = twice.apiId;
    m.render(copy);
    flow.runs.set(`${twice.id}-copy`, copy);

    const first = await sync();
    expect(first.code).toBe(0);
    const stored = await query<{ id: string }>(url, "select id::text from bird.approval_runs");
    expect(stored.map((r) => r.id).sort()).toEqual(good.map((r) => r.id).sort());
    const rejects = await query<{ run_id: string; reason: string; times_seen: number }>(
      url,
      "select run_id, reason, times_seen from bird.sync_rejects order by run_id",
    );
    expect(rejects.map((r) => r.run_id).sort()).toEqual([...refused, twice].map((r) => r.apiId).sort());
    expect(rejects.find((r) => r.run_id === refused[0]!.apiId)!.reason).toMatch(
      /PostgreSQL cannot store this run: .*overflows numeric format/,
    );

    const newer = addRuns(m, flow, 9, NOW - 10 * MINUTE);
    expect(await quietSync()).toBe(0);
    expect(await quietSync(true)).toBe(0);
    const all = await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs where deleted_at is null");
    expect(all[0]!.n).toBe(good.length + newer.length);
    expect((await query<{ cursor: string | null }>(url, "select cursor from bird.sync_state"))[0]!.cursor).toBeNull();
  });
});

describe("every RFC 3339 date-time", () => {
  it("stores each form at its instant: lower-case t/z, space, nanoseconds, -00:00, offsets beyond ±15:59, leap second", async () => {
    const { m, url, quietSync, flow } = await setup();
    const forms: Array<[string, string]> = [
      ['"2025-03-01t10:00:00.5z"', "2025-03-01T10:00:00.500Z"],
      ['"2025-03-01 10:00:01Z"', "2025-03-01T10:00:01.000Z"],
      ['"2025-03-01T10:00:02.123456789Z"', "2025-03-01T10:00:02.123Z"],
      ['"2025-03-01T10:00:03-00:00"', "2025-03-01T10:00:03.000Z"],
      ['"2025-03-02T02:00:04+16:00"', "2025-03-01T10:00:04.000Z"],
      ['"2025-03-01T10:00:05.25-23:59"', "2025-03-02T09:59:05.250Z"],
      ['"2016-12-31T23:59:60Z"', "2017-01-01T00:00:00.000Z"],
    ];
    const runs = forms.map(([text], i) =>
      runWith(m, flow, Date.parse("2025-03-01T10:00:00Z") + i * 1000, { createdAt: text, updatedAt: text }),
    );
    expect(await quietSync()).toBe(0);
    const rows = await query<{ id: string; at: string }>(
      url,
      `select id::text, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at from bird.approval_runs`,
    );
    expect(rows).toHaveLength(forms.length);
    for (const [i, run] of runs.entries()) expect(rows.find((r) => r.id === run.id)?.at).toBe(forms[i]![1]);
  });
});

describe("watermarks don't trust one timestamp", () => {
  it.each([
    { name: "a run dated 2099", quirks: {}, sameMs: false },
    {
      name: "an API that lists oldest first and ignores reverse",
      quirks: { defaultOrder: "asc", reverseHonoured: false } as const,
      sameMs: false,
    },
    { name: "many runs on one millisecond across pages", quirks: {}, sameMs: true },
  ])("a plain sync finds every new run despite $name", async ({ quirks, sameMs }) => {
    const { m, url, sync, quietSync, flow } = await setup(quirks, 4);
    addRuns(m, flow, 10, NOW - 200 * MINUTE);
    runWith(m, flow, Date.parse("2099-01-01T00:00:00Z"), {});
    if (sameMs) addRuns(m, flow, 9, NOW - 100 * MINUTE, 0);
    expect(await quietSync()).toBe(0);
    const added = sameMs ? addRuns(m, flow, 11, NOW - 100 * MINUTE, 0) : addRuns(m, flow, 30, NOW - 30 * MINUTE, 100);
    const r = await sync();
    expect(r.code).toBe(0);
    expect(await lastPass(url)).toMatchObject({ kind: "incremental" });
    const present = await query<{ id: string }>(
      url,
      "select id::text from bird.approval_runs where id = any($1::uuid[]) and deleted_at is null",
      [added.map((a) => a.id)],
    );
    expect(present).toHaveLength(added.length);
  });

  it.each([
    { name: "year 0000 (legal RFC 3339, not storable)", createdAt: '"0000-01-01T00:00:00Z"' },
    { name: "not a date at all", createdAt: '"yesterday"' },
  ])("a record dated $name, listed among the newest, neither ends the listing nor is stored", async ({ createdAt }) => {
    const { m, url, sync, quietSync, flow } = await setup({}, 4);
    addRuns(m, flow, 10, NOW - 200 * MINUTE);
    expect(await quietSync()).toBe(0);
    const added = addRuns(m, flow, 30, NOW - 30 * MINUTE, 100);
    // Bird lists it fourth, just below the three newest runs: the last record of the first page.
    const odd = runWith(m, flow, NOW - 30 * MINUTE + 2650, { createdAt });
    const r = await sync();
    expect(r.code).toBe(0);
    expect(await lastPass(url)).toMatchObject({ kind: "incremental", runs_inserted: 30, runs_rejected: 1 });
    const present = await query<{ id: string }>(
      url,
      "select id::text from bird.approval_runs where id = any($1::uuid[]) and deleted_at is null",
      [added.map((a) => a.id)],
    );
    expect(present).toHaveLength(added.length);
    const [reject] = await query<{ run_id: string; reason: string }>(url, "select run_id, reason from bird.sync_rejects");
    expect(reject).toMatchObject({ run_id: odd.apiId });
    expect(reject!.reason).toMatch(/createdAt/);
  });
});

describe("deletion only on proof", () => {
  it("ids keep Bird's spelling in requests; a run now invalid stays live; only a 404 or a full listing deletes", async () => {
    const { m, url, quietSync, flow } = await setup({ upperIds: true }, 3);
    const other = m.addFlow();
    const runs = addRuns(m, flow, 8, NOW - 100 * MINUTE);
    // Pending runs a page apart (page size 3), so re-reading them by id is cheaper than any listing.
    const pendings = [0, 1, 2].map((i) => {
      addRuns(m, flow, 3, NOW - (300 - 30 * i) * MINUTE + 1000);
      return runWith(m, flow, NOW - (300 - 30 * i) * MINUTE, { status: '"pending"' });
    });
    addRuns(m, other, 2, NOW - 100 * MINUTE);
    expect(await quietSync()).toBe(0);
    addRuns(m, flow, 4, NOW - 5 * MINUTE);

    // Re-read by id with the id spelled as Bird sent it: nothing is deleted.
    expect(await quietSync()).toBe(0);
    expect(server!.gets.some((p) => p.includes(pendings[0]!.apiId))).toBe(true);
    expect(server!.gets.every((p) => /\/approvals\/[0-9A-F-]{36}\/runs\/[0-9A-F-]{36}$/.test(p))).toBe(true);
    expect(await query(url, "select id from bird.approval_runs where deleted_at is not null")).toEqual([]);

    // A stored run whose new version is invalid stays live; a moved run is not deleted; a removed one is.
    const broken = runs[0]!;
    broken.fields.status = '"archived"';
    m.render(broken);
    const moved = runs[1]!;
    flow.runs.delete(moved.id);
    moved.flowId = other.id;
    other.runs.set(moved.id, moved);
    m.render(moved);
    const removed = runs[2]!;
    flow.runs.delete(removed.id);
    const removedPending = pendings[1]!;
    flow.runs.delete(removedPending.id);

    expect(await quietSync()).toBe(0); // incremental: the pending run's GET answers 404
    const deleted = async () =>
      (await query<{ id: string }>(url, "select id::text from bird.approval_runs where deleted_at is not null order by id")).map(
        (r) => r.id,
      );
    expect(await deleted()).toEqual([removedPending.id]);

    expect(await quietSync(true)).toBe(0);
    expect(await deleted()).toEqual([removed.id, removedPending.id].sort());
    const row = async (id: string) =>
      (
        await query<{ flow: string; deleted: boolean }>(
          url,
          "select approval_flow_id::text as flow, deleted_at is not null as deleted from bird.approval_runs where id = $1",
          [id],
        )
      )[0];
    expect(await row(broken.id)).toEqual({ flow: flow.id, deleted: false });
    expect(await row(moved.id)).toEqual({ flow: other.id, deleted: false });
    expect(await query(url, "select 1 from bird.sync_rejects where fingerprint = $1", [broken.id])).toHaveLength(1);
  });
});

describe("exit codes tell the truth", () => {
  it("a sync that skipped a flow another process holds exits 1 and names the holder", async () => {
    const { m, url, sync, quietSync, flow } = await setup();
    addRuns(m, flow, 3, NOW - 10 * MINUTE);
    expect(await quietSync()).toBe(0);
    await query(url, "update bird.sync_state set lease_owner = 'other-host:4242:abcdef', lease_expires_at = now() + interval '1 hour'");
    const r = await sync();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("other-host:4242:abcdef");
  });
});
