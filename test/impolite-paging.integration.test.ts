// Issue 20, points 1-3, through the built CLI against a model Bird whose paging and answers are as
// impolite as the API contract allows: offset tokens while runs are deleted between page requests,
// listings that repeat runs under fresh tokens forever, GET answers about another run or flow, and
// listed runs that carry another flow's id. Each case failed on the engine before issue 20.
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { type ModelServer, type ModelServerOptions, serveModel } from "./helpers/model-server.js";
import { syncInProcess } from "./helpers/sync-in-process.js";
import { type ModelFlow, type ModelRun, ModelUpstream, type Quirks, POLITE } from "./sim/model-upstream.js";
import { rng } from "./sim/values.js";

const NOW = Date.now();
const MINUTE = 60_000;
const ORG = "0f0e0d0c-0b0a-4909-8807-060504030201";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(quirks: Partial<Quirks>, env: Record<string, string> = {}, serverOpts: ModelServerOptions = {}) {
  const m = new ModelUpstream(rng(20), { ...POLITE, ...quirks }, ORG);
  server = await serveModel(m, "model-key", serverOpts);
  const url = await freshDatabaseUrl();
  const base = cliEnv({
    BIRD_API_URL: server.url,
    BIRD_ACCESS_KEY: "model-key",
    BIRD_ORGANIZATION_ID: ORG,
    DATABASE_URL: url,
    SYNC_PAGE_SIZE: "3",
    BIRD_MAX_RPS: "0",
    SYNC_TWO_ENDED_PAGES: "0",
    ...env,
  });
  const sync = (...args: string[]) => runCli(["sync", "--no-progress", ...args], base);
  /** A sync whose output is not the point: in this process, its exit code. */
  const quietSync = (full = false) => syncInProcess(base, { full });
  return { m, url, sync, quietSync, srv: server, flow: m.addFlow() };
}

function addRuns(m: ModelUpstream, flow: ModelFlow, n: number, from: number): ModelRun[] {
  return Array.from({ length: n }, (_, i) => {
    const run = m.newRun(flow, from + i * 1000, true);
    run.fields.status = '"approved"';
    m.render(run);
    return run;
  });
}

const liveIds = async (url: string) =>
  (await query<{ id: string }>(url, "select id::text from bird.approval_runs where deleted_at is null order by id")).map((r) => r.id);

const lastFullPass = async (url: string) =>
  (
    await query<{ outcome: string; runs_deleted: number; runs_skipped_live: number; error: string | null }>(
      url,
      "select outcome, runs_deleted, runs_skipped_live, error from bird.sync_passes where kind = 'full' order by id desc limit 1",
    )
  )[0]!;

/** Deletes the run on top of the listing once the listing asks for its second page (after page 1 was served). */
function deleteTopAfterFirstPage(m: ModelUpstream, flow: ModelFlow, order: "asc" | "desc"): { deleted?: ModelRun } {
  const out: { deleted?: ModelRun } = {};
  m.onNextPage = (f) => {
    if (f !== flow || out.deleted) return;
    const runs = [...flow.runs.values()].sort((a, b) => (order === "asc" ? a.createdMs - b.createdMs : b.createdMs - a.createdMs));
    out.deleted = runs[0]!;
    flow.runs.delete(out.deleted.id);
  };
  return out;
}

describe("offset page tokens while runs are deleted between page requests", () => {
  for (const order of ["desc", "asc"] as const) {
    for (const twoEnded of ["0", "1"]) {
      it(`a full pass (${order}, ${twoEnded === "0" ? "one stream" : "two streams"}) never marks a live run deleted: the run that slid is proven live by GET`, async () => {
        const { m, url, sync, quietSync, srv, flow } = await setup(
          { offsetTokens: true, defaultOrder: order },
          { SYNC_TWO_ENDED_PAGES: twoEnded },
        );
        const runs = addRuns(m, flow, 12, NOW - 60 * MINUTE);
        expect(await quietSync()).toBe(0);
        expect(await liveIds(url)).toHaveLength(12);
        const gone = deleteTopAfterFirstPage(m, flow, order);
        const getsBefore = srv.requests.get;
        const r = await sync("--full");
        expect(r.code).toBe(0);
        m.onNextPage = undefined;
        const live = await liveIds(url);
        // Every run Bird still has is live; the one deleted upstream may stay until a later pass shows it gone.
        for (const run of runs.filter((x) => x !== gone.deleted)) expect(live).toContain(run.id);
        const pass = await lastFullPass(url);
        expect(pass.outcome).toBe("completed");
        // One stream always slides past the run; a reverse stream may have listed it from the other end.
        expect(pass.runs_skipped_live).toBe(srv.requests.get - getsBefore);
        if (twoEnded === "0") {
          expect(pass.runs_skipped_live).toBe(1);
          expect(r.stderr).toContain("unstable paging");
        } else expect(pass.runs_skipped_live).toBeLessThanOrEqual(1);
        // The next reconcile (a stable listing) proves the deleted run gone with one GET: 404.
        expect(await quietSync(true)).toBe(0);
        expect(await liveIds(url)).toEqual(
          runs
            .filter((x) => x !== gone.deleted)
            .map((x) => x.id)
            .sort(),
        );
        expect((await lastFullPass(url)).runs_deleted).toBe(1);
      });
    }
  }

  it("an incremental pass finds every new run although a run above its cursor was deleted after page 1", async () => {
    const { m, url, quietSync, flow } = await setup({ offsetTokens: true });
    addRuns(m, flow, 5, NOW - 120 * MINUTE);
    expect(await quietSync()).toBe(0);
    const added = addRuns(m, flow, 10, NOW - 30 * MINUTE);
    const gone = deleteTopAfterFirstPage(m, flow, "desc");
    expect(await quietSync()).toBe(0);
    const live = await liveIds(url);
    for (const run of added.filter((x) => x !== gone.deleted)) expect(live).toContain(run.id);
  });
});

describe("every listing ends by progress, not by trusting tokens", () => {
  it("a flow whose every page repeats the same runs under a fresh token fails its pass after a bounded number of requests, marking nothing deleted", async () => {
    const { m, url, sync, quietSync, srv, flow } = await setup({});
    const runs = addRuns(m, flow, 9, NOW - 60 * MINUTE);
    expect(await quietSync()).toBe(0);
    m.endless.add(flow.id);
    for (const args of [["--full"], []]) {
      const before = srv.requests.list;
      const r = await sync(...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`repeat runs it had already listed`);
      expect(r.stderr).toContain(flow.id);
      expect(srv.requests.list - before).toBeLessThanOrEqual(12);
      expect(await liveIds(url)).toEqual(runs.map((x) => x.id).sort());
      const [state] = await query<{ last_error: string }>(url, "select last_error from bird.sync_state");
      expect(state!.last_error).toContain("pages in a row");
    }
  });
});

describe("every answer is checked against its request", () => {
  it("a GET of pending run P that answers run Q is quarantined naming both; Q's row is untouched and P keeps its stored copy", async () => {
    let wrong: { p: ModelRun; q: ModelRun } | undefined;
    const { m, url, sync, quietSync, flow } = await setup(
      {},
      { SYNC_RECHECK_FACTOR: "0" },
      { answerGet: (_f, runId) => (wrong && runId === wrong.p.apiId ? wrong.q.text : undefined) },
    );
    const [p, q] = addRuns(m, flow, 2, NOW - 200 * MINUTE);
    p!.fields.status = '"pending"';
    m.render(p!);
    addRuns(m, flow, 6, NOW - 60 * MINUTE);
    expect(await quietSync()).toBe(0);
    wrong = { p: p!, q: q! };
    // Q changes upstream; the answer for P carries Q's new version, which must not be stored as P or over Q.
    q!.fields.object = '{"changed":true}';
    m.render(q!);
    const before = await query<{ id: string; object: string | null; approval_flow_id: string }>(
      url,
      "select id::text, object::text, approval_flow_id::text from bird.approval_runs where id = any($1::uuid[]) order by id",
      [[p!.id, q!.id]],
    );
    const r = await sync();
    expect(r.code).toBe(0);
    const after = await query<{ id: string; object: string | null; approval_flow_id: string }>(
      url,
      "select id::text, object::text, approval_flow_id::text from bird.approval_runs where id = any($1::uuid[]) order by id",
      [[p!.id, q!.id]],
    );
    expect(after).toEqual(before);
    const rejects = await query<{ run_id: string; reason: string }>(url, "select run_id, reason from bird.sync_rejects");
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.run_id).toBe(p!.apiId);
    expect(rejects[0]!.reason).toContain(p!.apiId);
    expect(rejects[0]!.reason).toContain(q!.apiId);
  });

  it("a GET under flow A answering approvalFlowId B does not move the run; a run listed under A claiming B never flips between deleted and live", async () => {
    const B = "0f0e0d0c-0000-4000-8000-0000000000bb";
    let liar: ModelRun | undefined;
    const { m, url, quietSync, flow } = await setup(
      {},
      { SYNC_RECHECK_FACTOR: "0" },
      { answerGet: (_f, runId) => (liar && runId === liar.apiId ? liar.text.replace(flow.apiId, B) : undefined) },
    );
    const other = m.addFlow();
    const [pending] = addRuns(m, flow, 1, NOW - 200 * MINUTE);
    pending!.fields.status = '"pending"';
    m.render(pending!);
    const claims = addRuns(m, flow, 4, NOW - 100 * MINUTE)[2]!;
    addRuns(m, other, 2, NOW - 50 * MINUTE);
    expect(await quietSync()).toBe(0);
    liar = pending;
    // Bird now lists `claims` under A with B's id (B is the other flow here).
    claims.text = claims.text.replace(flow.apiId, other.apiId);
    const where = async () =>
      (
        await query<{ id: string; flow: string; deleted: boolean }>(
          url,
          "select id::text, approval_flow_id::text as flow, deleted_at is not null as deleted from bird.approval_runs where id = any($1::uuid[]) order by id",
          [[pending!.id, claims.id]],
        )
      ).map((r) => `${r.id}:${r.flow}:${r.deleted}`);
    const expected = [`${pending!.id}:${flow.id}:false`, `${claims.id}:${flow.id}:false`].sort();
    const reasons = async () => (await query<{ reason: string }>(url, "select reason from bird.sync_rejects")).map((r) => r.reason);
    // The incremental pass re-reads the pending run by id: the answer claims flow B and is quarantined.
    expect(await quietSync()).toBe(0);
    expect(await where()).toEqual(expected);
    expect((await reasons()).some((x) => x.includes(B) && x.includes(pending!.apiId))).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(await quietSync(true)).toBe(0);
      expect(await where()).toEqual(expected);
      expect((await reasons()).some((x) => x.includes(other.apiId) && x.includes(claims.apiId))).toBe(true);
    }
  });
});
