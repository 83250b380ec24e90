// What the status page (src/ui/) reads beyond readFlowStatuses: pending counts, pass history,
// the quarantine, and the chart series from the reporting views. Read-only statements only: `ui`
// runs them on a read-only session.
import { sql } from "drizzle-orm";
import type { SqlRunner } from "./database.js";

const iso = (col: string) => sql.raw(`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/** `flowColumn` is a flow of `organization` (no organization: any flow). */
const ofOrganization = (flowColumn: string, organization: string | undefined) =>
  organization === undefined
    ? sql`true`
    : sql`${sql.raw(flowColumn)} in (select s.flow_id from bird.sync_state s where s.organization_id = ${organization})`;

/** The organizations whose flows the database holds, with how many (null: flows nothing attributes). */
export async function readOrganizations(db: SqlRunner): Promise<Array<{ organizationId: string | null; flows: number }>> {
  return db.rows(sql`
    select organization_id as "organizationId", count(*)::int as flows from bird.sync_state
    group by organization_id order by organization_id nulls last`);
}

export interface PassRow {
  id: number;
  flowId: string;
  kind: string;
  owner: string | null;
  startedAt: string;
  finishedAt: string | null;
  outcome: string | null;
  fromFirstPage: boolean;
  pages: number;
  requests: number;
  runsSeen: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  deleted: number;
  /** Runs the completed listing skipped that a GET proved live (unstable paging). */
  skippedLive: number;
  error: string | null;
}

export interface RejectRow {
  id: number;
  flowId: string;
  runId: string | null;
  reason: string;
  firstSeenAt: string;
  lastSeenAt: string;
  timesSeen: number;
  /** Only read when the caller may show it (STATUS_AUTH configured). */
  payload?: string;
}

export interface DailyVolumeRow {
  day: string;
  status: string;
  runs: number;
}

export interface LatencyRow {
  flowId: string;
  flowName: string;
  decidedRuns: number;
  p50Seconds: number | null;
  p90Seconds: number | null;
}

/** Open (pending, not deleted) runs per flow, from approval_runs_pending_idx. */
export async function readPendingCounts(db: SqlRunner): Promise<Map<string, number>> {
  const rows = await db.rows<{ flowId: string; n: number }>(sql`
    select approval_flow_id::text as "flowId", count(*)::int as n
    from bird.approval_runs where status = 'pending' and deleted_at is null group by approval_flow_id`);
  return new Map(rows.map((r) => [r.flowId, Number(r.n)]));
}

/** The last `perFlow` pass segments of every flow, newest first. */
export async function readPassHistory(db: SqlRunner, perFlow: number): Promise<PassRow[]> {
  return db.rows<PassRow>(sql`
    select id::int as id, flow_id::text as "flowId", kind, owner, ${iso("started_at")} as "startedAt",
      ${iso("finished_at")} as "finishedAt", outcome, from_first_page as "fromFirstPage", pages, requests,
      runs_seen as "runsSeen", runs_inserted as inserted, runs_updated as updated, runs_unchanged as unchanged,
      runs_rejected as rejected, runs_deleted as deleted, runs_skipped_live as "skippedLive", error
    from (select s.flow_id as flow from bird.sync_state s) f
    -- flow by flow through sync_passes_flow_started_idx: the history table holds weeks of passes (issue 26)
    cross join lateral (select * from bird.sync_passes p where p.flow_id = f.flow
                        order by p.started_at desc, p.id desc limit ${perFlow}) h
    order by flow_id, id desc`);
}

/** The last `limit` pass segments of all flows, oldest first (the page groups them into cycles). */
export async function readRecentPassTimes(
  db: SqlRunner,
  limit: number,
  organization?: string,
): Promise<Array<Pick<PassRow, "startedAt" | "finishedAt" | "requests" | "outcome">>> {
  return db.rows(sql`
    select * from (
      select ${iso("started_at")} as "startedAt", ${iso("finished_at")} as "finishedAt", requests, outcome, id
      from bird.sync_passes where ${ofOrganization("flow_id", organization)} order by id desc limit ${limit}) t
    order by id`);
}

/** The quarantine, most recently seen first; the raw payload only when asked for. */
export async function readRejects(db: SqlRunner, opts: { limit: number; withPayload: boolean }): Promise<RejectRow[]> {
  const payload = opts.withPayload ? sql`, payload` : sql``;
  return db.rows<RejectRow>(sql`
    select id::int as id, flow_id::text as "flowId", run_id as "runId", reason,
      ${iso("first_seen_at")} as "firstSeenAt", ${iso("last_seen_at")} as "lastSeenAt", times_seen as "timesSeen"${payload}
    from bird.sync_rejects order by last_seen_at desc, id desc limit ${opts.limit}`);
}

/**
 * Runs per UTC day and status over the `days` days up to the newest run (not up to today: a quiet
 * flow, or the fake API's data in the past, still gets a chart). The newest run is found through
 * approval_runs_updated_idx (updated_at >= created_at), so the page never scans the table.
 */
export async function readDailyVolume(db: SqlRunner, days: number, organization?: string): Promise<DailyVolumeRow[]> {
  // The start is a value, not a subquery, so the planner sees how few runs it keeps (issue 26).
  const [anchor] = await db.rows<{ since: string | null }>(sql`
    select ((date_trunc('day', max(updated_at) at time zone 'UTC') - make_interval(days => ${days - 1}::int)) at time zone 'UTC')::text as since
    from bird.approval_runs`);
  if (!anchor?.since) return [];
  return db.rows<DailyVolumeRow>(sql`
    select to_char(v.day, 'YYYY-MM-DD') as day, v.status, sum(v.runs)::int as runs
    from bird.daily_volume_for(null, ${anchor.since}::timestamptz, null) v
    where ${ofOrganization("v.flow_id", organization)}
    group by v.day, v.status order by v.day, v.status`);
}

/** Decision latency per flow (bird.decision_latency). */
export async function readDecisionLatency(db: SqlRunner, organization?: string): Promise<LatencyRow[]> {
  return db.rows<LatencyRow>(sql`
    select flow_id::text as "flowId", flow_name as "flowName", decided_runs as "decidedRuns",
      p50_seconds as "p50Seconds", p90_seconds as "p90Seconds"
    from bird.decision_latency where ${ofOrganization("flow_id", organization)} order by flow_name, flow_id`);
}

/** Whether the schema the page reads exists (a database `ui` opens may never have been migrated). */
export async function hasSyncSchema(db: SqlRunner): Promise<boolean> {
  const rows = await db.rows<{ ok: boolean }>(sql`select to_regclass('bird.sync_state') is not null as ok`);
  return rows[0]?.ok === true;
}

export interface OpenFullPass {
  flowId: string;
  /** When the pass began at page one (a resumed pass keeps its first segment's start). */
  passStartedAt: string;
  /** The open segment: rate and ETA come from it (an earlier segment's process may have idled between). */
  segmentStartedAt: string;
  segmentRunsSeen: number;
  /** Over every segment of the pass so far. */
  runsSeen: number;
  pages: number;
  /** runs_seen of the flow's last completed full pass (null: none yet). */
  previousRunsSeen: number | null;
  /** A live lease holds the flow: the pass is moving, not waiting for a resume. */
  leased: boolean;
}

/** Every flow's open full pass (sync_state.pass_kind = 'full'), summed over its segments (the resumed_from chain). */
export async function readOpenFullPasses(db: SqlRunner): Promise<OpenFullPass[]> {
  return db.rows<OpenFullPass>(sql`
    with recursive open as (
      select s.flow_id, s.pass_started_at, p.id, p.started_at, p.runs_seen, s.lease_expires_at
      from bird.sync_state s join bird.sync_passes p on p.id = s.pass_id and p.outcome is null
      where s.pass_kind = 'full'),
    segments as (
      select o.id as open_id, p.id, p.resumed_from, p.runs_seen, p.pages
      from open o join bird.sync_passes p on p.id = o.id
      union all
      select g.open_id, p.id, p.resumed_from, p.runs_seen, p.pages
      from segments g join bird.sync_passes p on p.id = g.resumed_from)
    select o.flow_id::text as "flowId", ${iso("coalesce(o.pass_started_at, o.started_at)")} as "passStartedAt",
      ${iso("o.started_at")} as "segmentStartedAt", o.runs_seen as "segmentRunsSeen",
      (select sum(g.runs_seen)::float8 from segments g where g.open_id = o.id) as "runsSeen",
      (select sum(g.pages)::float8 from segments g where g.open_id = o.id) as pages,
      (select c.runs_seen from bird.sync_passes c where c.flow_id = o.flow_id and c.kind = 'full' and c.outcome = 'completed'
        order by c.id desc limit 1) as "previousRunsSeen",
      coalesce(o.lease_expires_at > now(), false) as leased
    from open o`);
}
