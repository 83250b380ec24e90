// The named reports of `approvals-sync report` (issue 6): each one reads a bird.* reporting view's
// function (migrations/0001_reporting_views.sql), so a report and its view can never disagree.
import { sql } from "drizzle-orm";
import { isoUtc } from "../db/sql-time.js";
import type { ReportDefinition } from "./definition.js";
import { FLOW, filterArgs, ofOrganization } from "./filters.js";
import { decisions, history, steps } from "./history-catalog.js";

export type { ColumnKind, ReportColumn, ReportDefinition, ReportFilters } from "./definition.js";

const iso = (col: string) => isoUtc(col, "ms");

const summary: ReportDefinition = {
  name: "summary",
  description: "runs per flow: total, pending, approved, denied and approval rate",
  view: "bird.flow_summary",
  columns: [
    ...FLOW,
    { key: "total_runs", label: "runs", kind: "int" },
    { key: "pending", label: "pending", kind: "int" },
    { key: "approved", label: "approved", kind: "int" },
    { key: "denied", label: "denied", kind: "int" },
    { key: "approval_rate", label: "approval rate", kind: "rate" },
    { key: "first_run_at", label: "first run (UTC)", kind: "timestamp" },
    { key: "last_run_at", label: "last run (UTC)", kind: "timestamp" },
  ],
  bar: "total_runs",
  dateFiltered: true,
  empty: "No flows",
  query: (f) => sql`
    select flow_id::text as flow_id, flow_name, total_runs, pending, approved, denied, approval_rate,
      ${iso("first_run_at")} as first_run_at, ${iso("last_run_at")} as last_run_at
    from bird.flow_summary_for(${filterArgs(f)})
    where ${ofOrganization(f)}
    order by flow_name, flow_id`,
};

const daily: ReportDefinition = {
  name: "daily",
  description: "runs created per day (UTC) and flow, by status",
  view: "bird.daily_volume",
  columns: [
    { key: "day", label: "day", kind: "date" },
    ...FLOW,
    { key: "runs", label: "runs", kind: "int" },
    { key: "pending", label: "pending", kind: "int" },
    { key: "approved", label: "approved", kind: "int" },
    { key: "denied", label: "denied", kind: "int" },
  ],
  bar: "runs",
  dateFiltered: true,
  empty: "No runs",
  query: (f) => sql`
    select to_char(day, 'YYYY-MM-DD') as day, flow_id::text as flow_id, flow_name,
      sum(runs)::int as runs,
      coalesce(sum(runs) filter (where status = 'pending'), 0)::int as pending,
      coalesce(sum(runs) filter (where status = 'approved'), 0)::int as approved,
      coalesce(sum(runs) filter (where status = 'denied'), 0)::int as denied
    from bird.daily_volume_for(${filterArgs(f)})
    where ${ofOrganization(f)}
    group by day, flow_id, flow_name
    order by day, flow_name, flow_id`,
};

const latency: ReportDefinition = {
  name: "latency",
  description:
    "time from creation to decision per flow: p50, p90 and max (decided runs; decided at Bird's updatedAt when it lies in the window the worker saw the decision in, else at the first read that showed it)",
  view: "bird.decision_latency",
  columns: [
    ...FLOW,
    { key: "decided_runs", label: "decided", kind: "int" },
    { key: "p50_seconds", label: "p50", kind: "seconds" },
    { key: "p90_seconds", label: "p90", kind: "seconds" },
    { key: "max_seconds", label: "max", kind: "seconds" },
  ],
  dateFiltered: true,
  empty: "No decided runs",
  query: (f) => sql`
    select flow_id::text as flow_id, flow_name, decided_runs, p50_seconds, p90_seconds, max_seconds
    from bird.decision_latency_for(${filterArgs(f)})
    where ${ofOrganization(f)}
    order by flow_name, flow_id`,
};

const backlog: ReportDefinition = {
  name: "backlog",
  description: "pending runs per flow by age: <1h, 1h-24h, 1d-7d, 7d-30d, >30d",
  view: "bird.pending_backlog",
  columns: [
    ...FLOW,
    { key: "age_bucket", label: "age", kind: "text" },
    { key: "runs", label: "pending", kind: "int" },
    { key: "oldest_created_at", label: "oldest (UTC)", kind: "timestamp" },
  ],
  bar: "runs",
  dateFiltered: true,
  empty: "No pending runs",
  query: (f) => sql`
    select flow_id::text as flow_id, flow_name, age_bucket, runs, ${iso("oldest_created_at")} as oldest_created_at
    from bird.pending_backlog_for(${filterArgs(f)})
    where ${ofOrganization(f)}
    order by flow_name, flow_id, bucket_order`,
};

const reviewers: ReportDefinition = {
  name: "reviewers",
  description: "decisions per reviewer: approved, rejected, approval rate, flows",
  view: "bird.reviewer_workload",
  columns: [
    { key: "reviewer_type", label: "type", kind: "text" },
    { key: "reviewer_id", label: "reviewer", kind: "text" },
    { key: "decisions", label: "decisions", kind: "int" },
    { key: "approved", label: "approved", kind: "int" },
    { key: "rejected", label: "rejected", kind: "int" },
    { key: "approval_rate", label: "approval rate", kind: "rate" },
    { key: "flows", label: "flows", kind: "int" },
  ],
  bar: "decisions",
  dateFiltered: true,
  empty: "No decisions",
  query: (f) => sql`
    select reviewer_type, reviewer_id, decisions, approved, rejected, approval_rate, flows
    from bird.reviewer_workload_for(${filterArgs(f)}, ${f.organizationId ?? null}::text)
    order by decisions desc, reviewer_id nulls last, reviewer_type`,
};

const tags: ReportDefinition = {
  name: "tags",
  description: "runs per flow and tag key=value, by status",
  view: "bird.tag_counts",
  columns: [
    ...FLOW,
    { key: "key", label: "key", kind: "text" },
    { key: "value", label: "value", kind: "text" },
    { key: "runs", label: "runs", kind: "int" },
    { key: "pending", label: "pending", kind: "int" },
    { key: "approved", label: "approved", kind: "int" },
    { key: "denied", label: "denied", kind: "int" },
  ],
  bar: "runs",
  dateFiltered: true,
  empty: "No tagged runs",
  query: (f) => sql`
    select flow_id::text as flow_id, flow_name, key, value, runs, pending, approved, denied
    from bird.tag_counts_for(${filterArgs(f)})
    where ${ofOrganization(f)}
    order by flow_name, flow_id, key, runs desc, value`,
};

const health: ReportDefinition = {
  name: "health",
  description: "sync health per flow: state, last success, lag, failures, rejects, last error",
  view: "bird.sync_health",
  columns: [
    ...FLOW,
    { key: "state", label: "state", kind: "text" },
    { key: "last_success_at", label: "last success (UTC)", kind: "timestamp" },
    { key: "lag_seconds", label: "lag", kind: "seconds" },
    { key: "consecutive_failures", label: "failures", kind: "int" },
    { key: "rejects", label: "rejects", kind: "int" },
    { key: "missing_since", label: "missing since (UTC)", kind: "timestamp" },
    { key: "last_error", label: "last error", kind: "text" },
  ],
  dateFiltered: false,
  empty: "No flows",
  query: (f) => sql`
    select flow_id::text as flow_id, flow_name, state, ${iso("last_success_at")} as last_success_at, lag_seconds,
      consecutive_failures, rejects, ${iso("missing_since")} as missing_since, last_error
    from bird.sync_health
    where (${f.flowId ?? null}::uuid is null or flow_id = ${f.flowId ?? null}::uuid) and ${ofOrganization(f)}
    order by flow_name, flow_id`,
};

// Issue 24: the quarantine had nowhere to be read but SQL. A table, not a view: what was rejected and
// why, with the record exactly as Bird sent it (raw text: it may hold what jsonb cannot).
const rejects: ReportDefinition = {
  name: "rejects",
  description: "quarantined records: flow, run id, reason, first/last seen, times seen, raw payload",
  view: "bird.sync_rejects",
  columns: [
    ...FLOW,
    { key: "run_id", label: "run id", kind: "text" },
    { key: "reason", label: "reason", kind: "text" },
    { key: "first_seen_at", label: "first seen (UTC)", kind: "timestamp" },
    { key: "last_seen_at", label: "last seen (UTC)", kind: "timestamp" },
    { key: "times_seen", label: "seen", kind: "int" },
    { key: "payload", label: "payload", kind: "text" },
  ],
  legend: ["reason and payload are cut at 60 characters here; --format json or csv shows them whole"],
  // --since/--until select records by when they were last seen (a rejected record may have no date).
  dateFiltered: true,
  empty: "No quarantined records",
  query: (f) => sql`
    select q.flow_id::text as flow_id, coalesce(fl.name, q.flow_id::text) as flow_name, q.run_id, q.reason,
      ${iso("q.first_seen_at")} as first_seen_at, ${iso("q.last_seen_at")} as last_seen_at, q.times_seen, q.payload
    from bird.sync_rejects q left join bird.approval_flows fl on fl.id = q.flow_id
    where (${f.flowId ?? null}::uuid is null or q.flow_id = ${f.flowId ?? null}::uuid)
      and (${f.since ?? null}::timestamptz is null or q.last_seen_at >= ${f.since ?? null}::timestamptz)
      and (${f.until ?? null}::timestamptz is null or q.last_seen_at < ${f.until ?? null}::timestamptz)
    order by q.last_seen_at desc, q.id desc`,
};

export const REPORTS: readonly ReportDefinition[] = [
  summary,
  daily,
  latency,
  backlog,
  reviewers,
  tags,
  health,
  rejects,
  decisions,
  history,
  steps,
];

export const REPORT_NAMES: readonly string[] = REPORTS.map((r) => r.name);

export function findReport(name: string): ReportDefinition | undefined {
  return REPORTS.find((r) => r.name === name);
}
