// The status page's data, read from the database only: the JSON twin (/api/status) is this object,
// and the HTML is rendered from it. Nothing here writes.
import {
  type DailyVolumeRow,
  type LatencyRow,
  type OpenFullPass,
  type PassRow,
  type RejectRow,
  hasSyncSchema,
  readDailyVolume,
  readDecisionLatency,
  readOpenFullPasses,
  readOrganizations,
  readPassHistory,
  readPendingCounts,
  readRecentPassTimes,
  readRejects,
} from "../db/console.js";
import { type DecisionDayRow, type StepTimeRow, readDecisionDays, readStepTimes } from "../db/console-history.js";
import type { SqlRunner } from "../db/database.js";
import { dbErrorMessage } from "../db/pg-errors.js";
import { migrationState } from "../db/preflight.js";
import { type FlowStatus, readFlowStatuses } from "../db/status.js";
import { type FlowHealth, judgeFlowHealth } from "../health.js";
import { type Cycle, groupIntoCycles } from "./cycles.js";
import { type PassProgress, passProgress } from "./pass-progress.js";

export const HISTORY_PER_FLOW = 20;
export const REJECTS_SHOWN = 200;
export const VOLUME_DAYS = 30;
export const CYCLES_SHOWN = 30;

export interface ModelOptions {
  schedule: string;
  intervalMs: number;
  /** STATUS_AUTH is configured: raw reject payloads may be shown. */
  showPayloads: boolean;
  /** Only this organization's flows (`?org=ID`; lower case when a uuid). */
  organization?: string;
  now?: number;
}

export interface FlowRow {
  flowId: string;
  organizationId: string | null;
  name: string | null;
  state: FlowHealth;
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
  /** The open full pass (backfill or reconcile) and how far it got; null when none runs. */
  progress: PassProgress | null;
}

export interface StatusModel {
  generatedAt: string;
  schedule: string;
  intervalSeconds: number;
  /** True when the flows below were read: the bird schema exists and this version could read it. */
  migrated: boolean;
  /** Migrations applied / known, when the schema is behind (`ui` never migrates). */
  migrationsBehind?: { applied: number; known: number };
  /** Why a schema that is behind could not be read by this version (the database's own message). */
  unreadable?: string;
  totals: Record<FlowHealth, number>;
  /** The organization shown (`?org=ID`), or null for all of them. */
  organization: string | null;
  /** Every organization whose flows the database holds (organizationId null: not known). */
  organizations: Array<{ organizationId: string | null; flows: number }>;
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

function flowRow(
  s: FlowStatus,
  history: PassRow[],
  pending: number,
  open: OpenFullPass | undefined,
  opts: ModelOptions,
  now: number,
): FlowRow {
  const oldest = history[history.length - 1];
  const verdict = judgeFlowHealth(
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
    organizationId: s.organizationId,
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
    progress: open ? passProgress(open, { runs: Number(s.runs), backfilled: s.lastFullPassAt !== null }, now) : null,
  };
}

function emptyModel(opts: ModelOptions, now: number): StatusModel {
  return {
    generatedAt: new Date(now).toISOString(),
    schedule: opts.schedule,
    intervalSeconds: opts.intervalMs / 1000,
    migrated: false,
    totals: { "on time": 0, delayed: 0, failing: 0, missing: 0 },
    organization: opts.organization ?? null,
    organizations: [],
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
  if (migrations?.applied !== undefined && !migrations.current) {
    model.migrationsBehind = { applied: migrations.applied, known: migrations.known };
  }
  try {
    await readFlows(db, model, opts, now);
  } catch (err) {
    // Issue 24: a schema one migration behind is usually still readable, and then shown under the
    // banner; when it is not, the page says so instead of showing "0 flows".
    if (!model.migrationsBehind) throw err;
    model.unreadable = dbErrorMessage(err);
  }
  return model;
}

async function readFlows(db: SqlRunner, model: StatusModel, opts: ModelOptions, now: number): Promise<void> {
  const org = opts.organization;
  const [statuses, pending, history, rejects, dailyVolume, latency, passTimes, organizations, open, decisions, steps] = await Promise.all([
    readFlowStatuses(db, org),
    readPendingCounts(db),
    readPassHistory(db, HISTORY_PER_FLOW),
    readRejects(db, { limit: REJECTS_SHOWN, withPayload: opts.showPayloads }),
    readDailyVolume(db, VOLUME_DAYS, org),
    readDecisionLatency(db, org),
    readRecentPassTimes(db, 2000, org),
    readOrganizations(db),
    readOpenFullPasses(db),
    readDecisionDays(db, VOLUME_DAYS),
    readStepTimes(db),
  ]);
  const openByFlow = new Map(open.map((o) => [o.flowId, o]));
  const byFlow = new Map<string, PassRow[]>();
  for (const p of history) byFlow.set(p.flowId, [...(byFlow.get(p.flowId) ?? []), p]);
  model.migrated = true;
  model.flows = statuses.map((s) =>
    flowRow(s, byFlow.get(s.flowId) ?? [], pending.get(s.flowId) ?? 0, openByFlow.get(s.flowId), opts, now),
  );
  for (const f of model.flows) model.totals[f.state]++;
  const shown = new Set(statuses.map((s) => s.flowId));
  model.rejects = org === undefined ? rejects : rejects.filter((r) => shown.has(r.flowId));
  model.organizations = organizations;
  model.charts = { dailyVolume, latency, cycles: groupIntoCycles(passTimes).slice(-CYCLES_SHOWN), decisions, steps };
}
