// The tables behind the reports that stay interactive at a million runs (issue 26), beside schema.ts
// (drizzle.config.ts reads both): step stretches, and the monthly rollups of tags and reviewers.
import { sql } from "drizzle-orm";
import { date, doublePrecision, index, integer, numeric, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bird } from "./schema.js";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });

/**
 * Stretches runs spent pending on one active_step and then left for another step or a decision (issue 22),
 * written when the stretch ends: `report steps` reads them instead of walking the history.
 */
export const runStepTimes = bird.table(
  "run_step_times",
  {
    runId: uuid("run_id").notNull(),
    flowId: uuid("flow_id").notNull(),
    step: numeric("step").notNull(),
    runCreatedAt: ts("run_created_at").notNull(),
    enteredAfter: ts("entered_after").notNull(),
    enteredBefore: ts("entered_before").notNull(),
    leftAfter: ts("left_after").notNull(),
    leftBefore: ts("left_before").notNull(),
    // The time on the step lies between these; indexed per flow and step, a percentile is a rank.
    secondsLow: doublePrecision("seconds_low").generatedAlwaysAs(sql`greatest(extract(epoch FROM left_after - entered_before), 0)`),
    secondsHigh: doublePrecision("seconds_high").generatedAlwaysAs(sql`extract(epoch FROM left_before - entered_after)`),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.enteredBefore] }),
    index("run_step_times_low_idx").on(t.flowId, t.step, t.secondsLow),
    index("run_step_times_high_idx").on(t.flowId, t.step, t.secondsHigh),
  ],
);

/**
 * Per-flow, per-month rollups of the reports that unnest jsonb (issue 26): tags and reviewers. A page
 * write marks the (flow, month of created_at) segments it touched dirty; `sync` and the daemon
 * recompute dirty segments after each cycle; reports read clean segments here and count dirty ones
 * (and months a date filter only partly covers) from the runs themselves, so they are always exact.
 */
export const reportSegmentsDirty = bird.table(
  "report_segments_dirty",
  {
    flowId: uuid("flow_id").notNull(),
    month: date("month", { mode: "string" }).notNull(),
    markedAt: ts("marked_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.flowId, t.month] })],
);

export const tagRollup = bird.table(
  "tag_rollup",
  {
    flowId: uuid("flow_id").notNull(),
    month: date("month", { mode: "string" }).notNull(),
    key: text("key"),
    value: text("value"),
    runs: integer("runs").notNull(),
    pending: integer("pending").notNull(),
    approved: integer("approved").notNull(),
    denied: integer("denied").notNull(),
  },
  (t) => [index("tag_rollup_segment_idx").on(t.flowId, t.month)],
);

export const reviewerRollup = bird.table(
  "reviewer_rollup",
  {
    flowId: uuid("flow_id").notNull(),
    month: date("month", { mode: "string" }).notNull(),
    reviewerType: text("reviewer_type"),
    reviewerId: text("reviewer_id"),
    decisions: integer("decisions").notNull(),
    approved: integer("approved").notNull(),
    rejected: integer("rejected").notNull(),
  },
  (t) => [index("reviewer_rollup_segment_idx").on(t.flowId, t.month)],
);

/** Decided runs per flow, created month (the segment), UTC day of decision and outcome: the status page's chart. */
export const decisionDayRollup = bird.table(
  "decision_day_rollup",
  {
    flowId: uuid("flow_id").notNull(),
    month: date("month", { mode: "string" }).notNull(),
    day: date("day", { mode: "string" }).notNull(),
    status: text("status").notNull(),
    runs: integer("runs").notNull(),
  },
  (t) => [index("decision_day_rollup_segment_idx").on(t.flowId, t.month)],
);

/** Live runs per flow, created month (the segment), UTC day of creation and status: `report daily` (issue 26). */
export const runDayRollup = bird.table(
  "run_day_rollup",
  {
    flowId: uuid("flow_id").notNull(),
    month: date("month", { mode: "string" }).notNull(),
    day: date("day", { mode: "string" }).notNull(),
    status: text("status").notNull(),
    runs: integer("runs").notNull(),
  },
  (t) => [index("run_day_rollup_segment_idx").on(t.flowId, t.month)],
);
