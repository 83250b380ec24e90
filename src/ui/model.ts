// The status page's data, read from the database only: the JSON twin (/api/status) is this object,
// and the HTML is rendered from it. Nothing here writes.
import {
  type DailyVolumeRow,
  type LatencyRow,
  type PassRow,
  type RejectRow,
  hasSyncSchema,
  readDailyVolume,
  readDecisionLatency,
  readPassHistory,
  readPendingCounts,
  readRecentPassTimes,
  readRejects,
} from "../db/console.js";
import { type DecisionDayRow, type StepTimeRow, readDecisionDays, readStepTimes } from "../db/console-history.js";
import type { SqlRunner } from "../db/database.js";
import { migrationState } from "../db/preflight.js";
import { type FlowStatus, readFlowStatuses } from "../db/status.js";
import { type Cycle, type FlowState, groupIntoCycles, judgeFlowState } from "./state.js";

export const HISTORY_PER_FLOW = 20;
export const REJECTS_SHOWN = 200;
export const VOLUME_DAYS = 30;
export const CYCLES_SHOWN = 30;

export interface ModelOptions {
  schedule: string;
  intervalMs: number;
  /** STATUS_AUTH is configured: raw reject payloads may be shown. */
  showPayloads: boolean;
  now?: number;
}

export interface FlowRow {
  flowId: string;
  name: string | null;
  state: FlowState;
  stateWhy: string;
  mode: FlowStatus["mode"];
  lastPass: (NonNullable<FlowStatus["lastPass"]> & { durationMs: number | null }) | null;
  runs: number;
  pending: number;
  quarantined: number;
  /** Pending runs due for a re-read that SYNC_MAX_REQUESTS_PER_HOUR postponed (sync_state.recheck_debt). */
  recheckDebt: number;
  lagSeconds: number | null;
  leaseHolder: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  history: PassRow[];
}

export interface StatusModel {
  generatedAt: string;
  schedule: string;
  intervalSeconds: number;
  /** False when the database has no bird schema yet, or an older one than this version reads. */
  migrated: boolean;
  /** Migrations applied / known, when the schema is behind (`ui` never migrates). */
  migrationsBehind?: { applied: number; known: number };
  totals: Record<FlowState, number>;
  flows: FlowRow[];
  rejects: RejectRow[];
  payloadsShown: boolean;
  charts: {
    dailyVolume: DailyVolumeRow[];
    latency: LatencyRow[];
    cycles: Cycle[];
    decisions: DecisionDayRow[];
    steps: StepTimeRow[];
  };
}

const durationOf = (p: { startedAt: string; finishedAt: string | null }) =>
  p.finishedAt ? Date.parse(p.finishedAt) - Date.parse(p.startedAt) : null;

function flowRow(s: FlowStatus, history: PassRow[], pending: number, opts: ModelOptions, now: number): FlowRow {
  const oldest = history[history.length - 1];
  const verdict = judgeFlowState(
    {
      missingSince: s.missingSince,
      lastSuccessAt: s.lastSuccessAt,
      consecutiveFailures: Number(s.consecutiveFailures),
      firstSeenAt: oldest?.startedAt ?? null,
    },
    opts.intervalMs,
    now,
  );
  return {
    flowId: s.flowId,
    name: s.name,
    state: verdict.state,
    stateWhy: verdict.why,
    mode: s.mode,
    lastPass: s.lastPass ? { ...s.lastPass, durationMs: durationOf(s.lastPass) } : null,
    runs: Number(s.runs),
    pending,
    quarantined: Number(s.rejects),
    recheckDebt: Number(s.recheckDebt ?? 0),
    lagSeconds: s.lagSeconds === null ? null : Number(s.lagSeconds),
    leaseHolder: s.leaseOwner,
    consecutiveFailures: Number(s.consecutiveFailures),
    lastError: s.lastError,
    history,
  };
}

function emptyModel(opts: ModelOptions, now: number): StatusModel {
  return {
    generatedAt: new Date(now).toISOString(),
    schedule: opts.schedule,
    intervalSeconds: opts.intervalMs / 1000,
    migrated: false,
    totals: { "on time": 0, delayed: 0, failing: 0, missing: 0 },
    flows: [],
    rejects: [],
    payloadsShown: opts.showPayloads,
    charts: { dailyVolume: [], latency: [], cycles: [], decisions: [], steps: [] },
  };
}

export async function readStatusModel(db: SqlRunner, opts: ModelOptions): Promise<StatusModel> {
  const now = opts.now ?? Date.now();
  const model = emptyModel(opts, now);
  if (!(await hasSyncSchema(db))) return model;
  // A role that may not read drizzle's table still gets the page; the queries below tell if it is behind.
  const migrations = await migrationState(db).catch(() => undefined);
  if (migrations && !migrations.current) {
    model.migrationsBehind = { applied: migrations.applied, known: migrations.known };
    return model;
  }
  const [statuses, pending, history, rejects, dailyVolume, latency, passTimes, decisions, steps] = await Promise.all([
    readFlowStatuses(db),
    readPendingCounts(db),
    readPassHistory(db, HISTORY_PER_FLOW),
    readRejects(db, { limit: REJECTS_SHOWN, withPayload: opts.showPayloads }),
    readDailyVolume(db, VOLUME_DAYS),
    readDecisionLatency(db),
    readRecentPassTimes(db, 2000),
    readDecisionDays(db, VOLUME_DAYS),
    readStepTimes(db),
  ]);
  const byFlow = new Map<string, PassRow[]>();
  for (const p of history) byFlow.set(p.flowId, [...(byFlow.get(p.flowId) ?? []), p]);
  model.migrated = true;
  model.flows = statuses.map((s) => flowRow(s, byFlow.get(s.flowId) ?? [], pending.get(s.flowId) ?? 0, opts, now));
  for (const f of model.flows) model.totals[f.state]++;
  model.rejects = rejects;
  model.charts = { dailyVolume, latency, cycles: groupIntoCycles(passTimes).slice(-CYCLES_SHOWN), decisions, steps };
  return model;
}
