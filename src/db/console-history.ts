// The status page's decision-history series (issue 22): decisions per day and time per step per
// flow, from the views of migrations/0012_history_views.sql. Read-only statements.
import { sql } from "drizzle-orm";
import type { SqlRunner } from "./database.js";

export interface DecisionDayRow {
  day: string;
  /** approved or denied */
  status: string;
  runs: number;
}

export interface StepTimeRow {
  flowId: string;
  flowName: string;
  step: string;
  runs: number;
  p50Low: number;
  p50High: number;
}

/**
 * Runs decided per UTC day and outcome over the `days` up to the newest decision: a run was decided at
 * Bird's updatedAt where that pins its window, else at the window's end (bird.decision_instant, as
 * `report latency`; approval_runs.decision_seconds).
 */
export async function readDecisionDays(db: SqlRunner, days: number): Promise<DecisionDayRow[]> {
  // Clean segments from bird.decision_day_rollup, dirty ones counted from their runs (issue 26).
  return db.rows<DecisionDayRow>(sql`
    with d as (
      select t.day, t.status, t.runs from bird.decision_day_rollup t
      where not exists (select 1 from bird.report_segments_dirty x where x.flow_id = t.flow_id and x.month = t.month)
      union all
      select ((r.created_at + r.decision_seconds * interval '1 second') at time zone 'UTC')::date, r.status, 1
      from bird.report_segments_dirty x
      join bird.approval_runs r on r.approval_flow_id = x.flow_id
        and r.created_at >= bird.utc_month_start(x.month) and r.created_at < bird.utc_month_end(x.month)
      where r.deleted_at is null and r.status in ('approved', 'denied')
    ), anchor as (select max(day) as last from d)
    select to_char(d.day, 'YYYY-MM-DD') as day, d.status, sum(d.runs)::int as runs
    from d, anchor where d.day > anchor.last - ${days}::int
    group by d.day, d.status order by d.day, d.status`);
}

/** p50 time on each step per flow, as bounds (bird.step_times), in step order. */
export async function readStepTimes(db: SqlRunner): Promise<StepTimeRow[]> {
  return db.rows<StepTimeRow>(sql`
    select flow_id::text as "flowId", flow_name as "flowName", step::text as step, runs,
      p50_low as "p50Low", p50_high as "p50High"
    from bird.step_times order by flow_name, flow_id, step`);
}
