// The status page's decision-history series (issue 22): decisions per day and time per step per
// flow, from the views of migrations/0011_history_views.sql. Read-only statements.
import { sql } from "drizzle-orm";
import type { SqlRunner } from "./database.js";

export interface DecisionDayRow {
  day: string;
  result: string;
  decisions: number;
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
 * Decisions per UTC day and result over the `days` up to the newest one: a decision's day is Bird's
 * updatedAt where that pins it, else the end of its window (the first read that showed it).
 */
export async function readDecisionDays(db: SqlRunner, days: number): Promise<DecisionDayRow[]> {
  return db.rows<DecisionDayRow>(sql`
    with d as (
      select (coalesce(decided_at, decided_before) at time zone 'UTC')::date as day, coalesce(result, 'other') as result
      from bird.decisions
    ), anchor as (select max(day) as last from d)
    select to_char(d.day, 'YYYY-MM-DD') as day, d.result, count(*)::int as decisions
    from d, anchor where d.day > anchor.last - ${days}::int
    group by d.day, d.result order by d.day, d.result`);
}

/** p50 time on each step per flow, as bounds (bird.step_times), in step order. */
export async function readStepTimes(db: SqlRunner): Promise<StepTimeRow[]> {
  return db.rows<StepTimeRow>(sql`
    select flow_id::text as "flowId", flow_name as "flowName", step::text as step, runs,
      p50_low as "p50Low", p50_high as "p50High"
    from bird.step_times order by flow_name, flow_id, step`);
}
