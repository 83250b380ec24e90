// One seeded simulation: a model upstream with quirks, random upstream changes interleaved with syncs
// (incremental, full, aborted at a page boundary, crashed without cleanup, two workers at once), and
// the exactness invariants checked after every sync. Everything derives from the seed.
import { sql } from "drizzle-orm";
import pino from "pino";
import type { Config } from "../../src/config.js";
import type { Database, SqlRunner } from "../../src/db/database.js";
import { RetryableHttpError } from "../../src/errors.js";
import { type SyncContext, syncSettingsOf } from "../../src/sync/context.js";
import { runSyncCycle } from "../../src/sync/cycle.js";
import type { CycleResult } from "../../src/sync/outcome.js";
import { type Violation, incrementalInvariants, tableEqualsModel } from "./checks.js";
import { ModelHistory, historyInvariants } from "./history-checks.js";
import { ModelUpstream } from "./model-upstream.js";
import { Clock, MUTATIONS, mutate, mutateRun } from "./operations.js";
import { budgetedUpstream } from "./shared-budget.js";
import { type Rng, rng, uuid } from "./values.js";

type SyncKind = "incremental" | "full" | "abort" | "crash" | "pair";
const SYNCS: readonly SyncKind[] = ["incremental", "incremental", "incremental", "full", "abort", "crash", "pair"];

export class SimulationFailure extends Error {}

const silent = pino({ level: "silent" });

/**
 * A database handle that dies at a moment the simulation picks, like a process after kill -9. A statement
 * issued just before the kill may still be waiting for a pooled connection: `settled()` resolves once
 * none is in flight, so nothing the dead worker sent can land after the simulation moves on (a real
 * process's statements die with its connections).
 */
function killable(db: Database): { db: Database; kill: () => void; settled: () => Promise<void> } {
  let dead = false;
  let inFlight = 0;
  const check = () => {
    if (dead) throw new Error("simulated kill -9: this worker is gone");
  };
  const tracked = async <T>(fn: () => Promise<T>): Promise<T> => {
    check();
    inFlight++;
    try {
      const out = await fn();
      check();
      return out;
    } finally {
      inFlight--;
    }
  };
  // Statement options pass through: the killed worker runs the hot path prepared, as a real one does.
  const wrap = (runner: SqlRunner): SqlRunner => ({ rows: (q, opts) => tracked(() => runner.rows(q, opts)) as never });
  const wrapped: Database = {
    kind: db.kind,
    location: db.location,
    rows: wrap(db).rows,
    transaction: (fn) => tracked(() => db.transaction((tx) => fn(wrap(tx)))),
    migrate: () => db.migrate(),
    close: async () => undefined,
  };
  const settled = async () => {
    while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  return { db: wrapped, kill: () => (dead = true), settled };
}

export interface SimulationOptions {
  seed: number;
  db: Database;
  config: Config;
  /** Upstream changes + syncs per seed. */
  steps?: number;
}

export async function simulate(opts: SimulationOptions): Promise<{ log: string[]; requests: number }> {
  const r = rng(opts.seed);
  const log: string[] = [];
  const quirks = {
    defaultOrder: r.chance(0.6) ? ("desc" as const) : ("asc" as const),
    reverseHonoured: r.chance(0.75),
    pageCap: r.chance(0.3) ? r.int(2, 4) : undefined,
    // In list requests to the same flow; two streams page a flow at once, so fewer than 4 could never finish.
    tokenTtl: r.chance(0.2) ? r.int(4, 10) : undefined,
    upperIds: r.chance(0.3),
    faultRate: r.chance(0.25) ? 0.04 : 0,
    tiesAscending: r.chance(0.3),
    // Impolite paging and answers (issue 20): offsets for tokens, pages repeated under fresh tokens, GET
    // answers about another run or flow. Runs are also created and deleted between page requests below.
    offsetTokens: r.chance(0.4),
    repeatRate: r.chance(0.2) ? 0.15 : undefined,
    wrongGetRate: r.chance(0.2) ? 0.1 : undefined,
    flowsTwice: r.chance(0.3),
  };
  log.push(`quirks ${JSON.stringify(quirks)}`);
  const m = new ModelUpstream(r, quirks, uuid(r));
  const history = new ModelHistory(m);
  const clock = new Clock(Date.now() - 30 * 86_400_000);
  const flowCount = r.int(1, 3);
  for (let i = 0; i < flowCount; i++) {
    const flow = m.addFlow();
    const n = r.int(0, 14);
    for (let j = 0; j < n; j++) m.newRun(flow, clock.tick(m), true);
  }
  const config: Config = Object.freeze({
    ...opts.config,
    // Configured flows, or discovered from Bird's flows list (which may name each flow twice).
    approvalIds: r.chance(0.3) ? undefined : [...m.flows.values()].map((f) => f.apiId),
    pageSize: r.int(2, 6),
    concurrency: r.int(1, 3),
    // The age-based re-check and the request budget change what is re-read, never what is exact.
    recheckFactor: r.pick([0, 0.05, 1]),
    maxRequestsPerHour: r.chance(0.2) ? r.int(1, 50) : undefined,
    // Small model flows are listed from both ends too: from their first, second or third page, or never.
    twoEndedPages: r.pick([0, 1, 1, 2, 3]),
  });
  log.push(
    `flows ${flowCount}, page size ${config.pageSize}, concurrency ${config.concurrency}, recheck ${config.recheckFactor}, budget ${config.maxRequestsPerHour}, two-ended from ${config.twoEndedPages} pages`,
  );
  // The model answers at once: waiting for the API would rarely start a second stream.
  const settings = syncSettingsOf(config);
  const ctxFor = (db: Database, owner: string): SyncContext => ({
    db,
    client: m,
    settings,
    logger: silent,
    owner,
    observer: {},
    secondStreamOnlyWhenWaiting: false,
  });

  const check = async (label: string, found: Violation[]) => {
    if (found.length > 0) {
      const lines = found.slice(0, 5).map((v) => `${v.id}: ${v.what}`);
      throw new SimulationFailure(`${label}: ${found.length} violation(s)\n  ${lines.join("\n  ")}\nsteps:\n  ${log.join("\n  ")}`);
    }
  };

  // Flows an offset listing may have slid past a run in, until a clean full listing from page one: a run
  // deleted mid-listing, or deleted while a full pass was interrupted (its stored offset now points
  // one run further). Runs never stored in them are exempt until then (README: the exactness contract).
  const slidUntilClean = new Set<string>();
  const noteSlides = async (before: Map<string, Set<string>>) => {
    const open = new Set(
      (
        await opts.db.rows<{ flow: string }>(sql`
          select flow_id::text as flow from bird.sync_state where pass_kind = 'full' and (cursor is not null or reverse_cursor is not null)`)
      ).map((x) => x.flow),
    );
    for (const f of m.flows.values()) {
      const lost = [...(before.get(f.id) ?? [])].some((id) => !f.runs.has(id));
      if (lost && open.has(f.id)) slidUntilClean.add(f.id);
    }
  };
  const steps = opts.steps ?? r.int(5, 12);
  for (let step = 0; step < steps; step++) {
    if (step > 0 && r.chance(0.5)) {
      const before = new Map([...m.flows.values()].map((f) => [f.id, new Set(f.runs.keys())]));
      log.push(mutate(m, clock, r.pick(MUTATIONS)));
      await noteSlides(before);
      continue;
    }
    const kind = step === 0 ? "incremental" : r.pick(SYNCS);
    await runSync(kind, step);
  }
  // Finally, with no faults, wrong answers or runs changing mid-listing: a full pass must make the
  // tables equal the model exactly.
  m.quirks.faultRate = 0;
  m.quirks.wrongGetRate = undefined;
  await runSync("full", steps, false);
  if (!(await runSync("full", steps + 1, false))) {
    throw new SimulationFailure(`the final full pass did not complete from page one for every flow\nsteps:\n  ${log.join("\n  ")}`);
  }
  return { log, requests: m.requests };

  /** Runs one sync and checks what it guarantees; true when the exact full-pass check applied. */
  async function runSync(kind: SyncKind, step: number, churn = true): Promise<boolean> {
    const before = new Set([...m.flows.values()].flatMap((f) => [...f.runs.keys()]));
    const stored = new Set(
      (await opts.db.rows<{ id: string }>(sql`select id::text as id from bird.approval_runs where deleted_at is null`)).map((x) => x.id),
    );
    const during = churn ? scheduleChurn(m, clock, log) : undefined;
    // Now and then a flow lists the same runs forever under fresh tokens: its pass must fail, bounded.
    const listsBefore = new Map([...m.flows.keys()].map((id) => [id, m.listsOf(id)]));
    if (churn && r.chance(0.05)) {
      const stuck = r.pick([...m.flows.values()]);
      m.endless.add(stuck.id);
      log.push(`  endless listing: ${stuck.id}`);
    }
    m.misanswered.clear();
    const [{ now }] = (await opts.db.rows<{ now: string }>(sql`select now()::text as now`)) as [{ now: string }];
    const full = kind === "full" || (kind !== "incremental" && kind !== "pair" && r.chance(0.4));
    let results: CycleResult[];
    if (kind === "abort" || kind === "crash") {
      results = [await interrupted(kind, full, step)];
    } else if (kind === "pair") {
      // Issue 23: on even seeds the two workers share one request budget in the database (the seed decides,
      // not the random stream, so every seed's other choices stay as they were).
      const worker = (owner: string): SyncContext =>
        opts.seed % 2 === 0 ? { ...ctxFor(opts.db, owner), client: budgetedUpstream(m, opts.db, owner, 400) } : ctxFor(opts.db, owner);
      const [a, b] = await Promise.all([cycle(worker(`sim:${step}:a`), r.chance(0.5)), cycle(worker(`sim:${step}:b`), r.chance(0.5))]);
      results = [a, b];
    } else {
      results = [await cycle(ctxFor(opts.db, `sim:${step}`), full)];
    }
    m.onNextPage = undefined;
    for (const id of m.endless) {
      // Every listing ends by progress: at most a few listings of the flow's pages, each followed by
      // at most 50 pages that show nothing new (page-stream.ts), however long the tokens go on.
      const lists = m.listsOf(id) - (listsBefore.get(id) ?? 0);
      const pages = Math.ceil((m.flows.get(id)?.runs.size ?? 0) / config.pageSize) + 1;
      if (lists > 12 * (pages + 50)) {
        throw new SimulationFailure(
          `flow ${id} lists the same runs forever, and it took ${lists} list requests\nsteps:\n  ${log.join("\n  ")}`,
        );
      }
    }
    m.endless.clear();
    // Exempt from the exact checks: runs changed while the sync listed, runs a GET was answered wrongly for
    // (a deletion cannot be proven through a wrong answer), and, in a flow where a run was deleted
    // mid-listing, runs never stored before: an offset listing may slide past them (README: exactness).
    const exempt = new Set([...(during?.changed ?? []), ...m.misanswered]);
    const exemptFull = new Set(exempt);
    for (const id of during?.slid ?? []) slidUntilClean.add(id);
    for (const f of m.flows.values()) {
      if (!slidUntilClean.has(f.id)) continue;
      // Until a full pass from page one shows them (a resumed one does not go back over its first pages).
      for (const run of f.runs.values()) {
        if (stored.has(run.id)) continue;
        exemptFull.add(run.id);
        run.incrementalVisible = false;
      }
    }
    const outcomes = results.flatMap((c) => c.flows);
    log.push(`${kind}${full ? " full" : ""}: ${outcomes.map((f) => `${f.flowId.slice(0, 8)} ${f.kind ?? "-"} ${f.outcome}`).join(", ")}`);
    const completed = outcomes.filter((f) => f.outcome === "completed");
    // A full pass guarantees equality for what did not change while it ran: one resumed from an earlier
    // step spans the changes made since it began, so only a pass begun from page one in this step counts.
    const fullyDone = new Set(
      (
        await opts.db.rows<{ flow: string }>(sql`
          select flow_id::text as flow from bird.sync_passes
          where kind = 'full' and outcome = 'completed' and from_first_page and started_at >= ${now}::timestamptz`)
      ).map((x) => x.flow),
    );
    // A full listing from page one with nothing deleted while it ran shows whatever an earlier one slid past.
    for (const id of fullyDone) if (!during?.slid.has(id)) slidUntilClean.delete(id);
    const exact = [...m.flows.keys()].every((id) => fullyDone.has(id));
    await check(`run versions (step ${step})`, await historyInvariants(opts.db, history, exact ? { exempt: exemptFull } : undefined));
    if (exact) {
      await check(`after a full pass of every flow (step ${step})`, await tableEqualsModel(opts.db, m, exemptFull));
      // What the pass was exempt from proving stays invisible to incremental passes until a full pass shows it.
      for (const f of m.flows.values()) for (const run of f.runs.values()) run.incrementalVisible = !exemptFull.has(run.id);
      return true;
    }
    const done = new Set(completed.map((f) => f.flowId.toLowerCase()));
    await check(`after an incremental pass (step ${step})`, await incrementalInvariants(opts.db, m, done, before, exempt));
    return false;
  }

  async function cycle(ctx: SyncContext, full: boolean): Promise<CycleResult> {
    try {
      return await runSyncCycle(ctx, { full, respectBackoff: false, signal: new AbortController().signal });
    } catch (err) {
      // Discovery's flows list failed after every retry (a fault): the cycle synced nothing.
      if (err instanceof RetryableHttpError) return { flows: [], durationMs: 0 };
      throw err;
    }
  }

  /** A worker stopped at a random request: aborted cleanly, or killed with nothing after that point reaching the database. */
  async function interrupted(kind: "abort" | "crash", full: boolean, step: number): Promise<CycleResult> {
    const owner = `sim:${step}:${kind}`;
    const controller = new AbortController();
    const killed = killable(opts.db);
    const at = m.requests + r.int(1, 6);
    m.onRequest = (n) => {
      if (n < at) return;
      if (kind === "abort") controller.abort(new Error("simulated stop"));
      else killed.kill();
    };
    const ctx = ctxFor(kind === "crash" ? killed.db : opts.db, owner);
    let result: CycleResult;
    try {
      result = await runSyncCycle(ctx, { full, respectBackoff: false, signal: controller.signal });
    } catch {
      result = { flows: [], durationMs: 0 };
    } finally {
      m.onRequest = undefined;
    }
    // The dead worker's leases run out (its TTL); the next worker takes over.
    if (kind === "crash") {
      await killed.settled();
      await opts.db.rows(sql`update bird.sync_state set lease_expires_at = now() - interval '1 second' where lease_owner = ${owner}`);
    }
    return result;
  }
}

/**
 * Half the syncs see one run created or deleted in a random flow just before a next page is served
 * (between two page requests of a listing). What changed is exempt from the checks; a deletion marks the
 * flow as one whose offset listing may have slid past a run.
 */
function scheduleChurn(m: ModelUpstream, clock: Clock, log: string[]): { changed: Set<string>; slid: Set<string> } | undefined {
  const r = m.r;
  if (!r.chance(0.5)) return undefined;
  const changed = new Set<string>();
  const slid = new Set<string>();
  let countdown = r.int(0, 4);
  m.onNextPage = (flow) => {
    if (countdown-- > 0 || changed.size > 0) return;
    const runs = [...flow.runs.values()];
    const open = runs.filter((x) => x.kind === "valid" && x.fields.status === '"pending"');
    if (open.length > 0 && r.chance(0.3)) {
      // A decision while the flow is being listed: the version windows must still hold it (issue 22).
      const run = r.pick(open);
      log.push(`  mid-listing: ${mutateRun(m, clock, run, "decide")}`);
      changed.add(run.id);
    } else if (runs.length > 0 && r.chance(0.6)) {
      const gone = r.pick(runs);
      flow.runs.delete(gone.id);
      changed.add(gone.id);
      slid.add(flow.id);
      log.push(`  mid-listing: delete ${gone.id} from ${flow.id} (${[...flow.runs.values()].map((x) => x.id.slice(0, 4)).join(" ")})`);
    } else {
      const times = runs.map((x) => x.createdMs);
      const at = times.length > 0 && r.chance(0.5) ? r.pick(times) + r.int(-1, 1) : clock.tick(m);
      const run = m.newRun(flow, at, false);
      changed.add(run.id);
      log.push(`  mid-listing: add ${run.id} to ${flow.id}`);
    }
  };
  return { changed, slid };
}

export function seedsFrom(env: NodeJS.ProcessEnv, fallback: number): { seeds: number[]; replay: boolean } {
  if (env.SIM_SEED) return { seeds: [Number(env.SIM_SEED)], replay: true };
  const n = Number(env.SIM_SEEDS ?? fallback);
  const base = Number(env.SIM_BASE ?? 1);
  return { seeds: Array.from({ length: n }, (_, i) => base + i), replay: false };
}

export type { Rng };
