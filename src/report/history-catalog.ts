// The decision-history reports (issue 22): each decision with the window it was made in, one run's
// versions, and time per step. They read the views of migrations/0012_history_views.sql.
import { sql } from "drizzle-orm";
import { isoUtc } from "../db/sql-time.js";
import type { ReportDefinition } from "./definition.js";
import { FLOW, filterArgs, ofOrganization } from "./filters.js";

// Windows can be narrower than a millisecond: shown to the microsecond.
const us = (col: string) => isoUtc(col, "us");

export const decisions: ReportDefinition = {
  name: "decisions",
  description:
    "each decision (element of results[]) with the window it was made in: after, before, and updatedAt when that pins it (last 7 days unless --since)",
  view: "bird.decisions",
  columns: [
    ...FLOW,
    { key: "run_id", label: "run", kind: "text" },
    { key: "position", label: "#", kind: "int" },
    { key: "reviewer_type", label: "type", kind: "text" },
    { key: "reviewer_id", label: "reviewer", kind: "text" },
    { key: "result", label: "result", kind: "text" },
    { key: "decided_after", label: "after (UTC)", kind: "timestamp" },
    { key: "decided_before", label: "by (UTC)", kind: "timestamp" },
    { key: "decided_at", label: "updatedAt (UTC)", kind: "timestamp" },
    { key: "comment", label: "comment", kind: "text" },
  ],
  // --since/--until: decisions whose window ends in the range (made before its end, seen after its start);
  // with neither --since nor --until, the last 7 days (command.ts): at a million runs every decision is a dump, not a report.
  dateFiltered: true,
  defaultSinceDays: 7,
  empty: "No decisions",
  query: (f) => sql`
    select d.flow_id::text as flow_id, coalesce(fl.name, d.flow_id::text) as flow_name, d.run_id::text as run_id, d.position,
      d.reviewer_type, d.reviewer_id, d.result, ${us("d.decided_after")} as decided_after,
      ${us("d.decided_before")} as decided_before, ${us("d.decided_at")} as decided_at, d.comment
    from bird.decisions_for(${filterArgs(f)}) d
    left join bird.approval_flows fl on fl.id = d.flow_id
    where ${ofOrganization(f, "d.flow_id")}
    order by d.decided_before, d.run_id, d.position`,
};

export const history: ReportDefinition = {
  name: "history",
  description: "one run's versions (--run ID): each with its window, what changed, status, step and decisions",
  view: "bird.approval_run_versions",
  columns: [
    { key: "version", label: "version", kind: "int" },
    { key: "changed_after", label: "changed after (UTC)", kind: "timestamp" },
    { key: "observed_at", label: "seen at (UTC)", kind: "timestamp" },
    { key: "changed", label: "changed", kind: "text" },
    { key: "status", label: "status", kind: "text" },
    { key: "active_step", label: "step", kind: "text" },
    { key: "decisions", label: "decisions", kind: "int" },
    { key: "updated_at", label: "updatedAt (UTC)", kind: "timestamp" },
    { key: "deleted", label: "deleted", kind: "text" },
  ],
  dateFiltered: false,
  needsRun: true,
  empty: "No versions of that run",
  query: (f) => sql`
    select version, ${us("changed_after")} as changed_after, ${us("observed_at")} as observed_at, changed, status,
      active_step::text as active_step, decisions, ${us("updated_at")} as updated_at, deleted::text as deleted
    from (
      select v.*, jsonb_array_length(case when jsonb_typeof(v.results) = 'array' then v.results else '[]' end) as decisions,
        v.deleted_at is not null as deleted,
        case when lag(v.version) over w is null then 'first seen' else concat_ws(', ',
          case when v.status is distinct from lag(v.status) over w then 'status' end,
          case when v.active_step is distinct from lag(v.active_step) over w then 'step' end,
          case when v.results is distinct from lag(v.results) over w then 'results' end,
          case when v.tags is distinct from lag(v.tags) over w then 'tags' end,
          case when v.object is distinct from lag(v.object) over w or v.previous_object is distinct from lag(v.previous_object) over w then 'object' end,
          case when v.approval_flow_id is distinct from lag(v.approval_flow_id) over w then 'flow' end,
          case when (v.deleted_at is null) is distinct from (lag(v.deleted_at) over w is null) then
            case when v.deleted_at is null then 'undeleted' else 'deleted' end end,
          case when v.updated_at is distinct from lag(v.updated_at) over w then 'updatedAt' end) end as changed
      from bird.approval_run_versions v
      where v.id = ${f.runId ?? null}::uuid
      window w as (order by v.version)
    ) h
    order by version`,
};

export const steps: ReportDefinition = {
  name: "steps",
  description: "time runs spent pending on each step, per flow: p50 and p90 as bounds (runs that left the step)",
  view: "bird.step_times",
  columns: [
    ...FLOW,
    { key: "step", label: "step", kind: "text" },
    { key: "runs", label: "runs", kind: "int" },
    { key: "p50_low", label: "p50 ≥", kind: "seconds" },
    { key: "p50_high", label: "p50 ≤", kind: "seconds" },
    { key: "p90_low", label: "p90 ≥", kind: "seconds" },
    { key: "p90_high", label: "p90 ≤", kind: "seconds" },
  ],
  bar: "runs",
  dateFiltered: true,
  empty: "No run has left a step yet",
  query: (f) => sql`
    select flow_id::text as flow_id, flow_name, step::text as step, runs, p50_low, p50_high, p90_low, p90_high
    from bird.step_times_for(${filterArgs(f)})
    where ${ofOrganization(f)}
    order by flow_name, flow_id, step`,
};
