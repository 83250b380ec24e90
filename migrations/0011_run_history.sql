-- Issues 22 and 26. When a decided run was decided, for latency: Bird's updatedAt where it pins the
-- window in which the sync saw the run leave pending, else the window's end. A row without a window
-- (stored before it was kept, or by other means than the sync) was decided between its creation and
-- observed_at, at its updatedAt when that lies in between. approval_runs.decision_seconds reads it.
CREATE OR REPLACE FUNCTION "bird"."decision_instant"(p_at timestamptz, p_before timestamptz, p_created timestamptz,
  p_updated timestamptz, p_observed timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_before IS NOT NULL THEN coalesce(p_at, p_before)
    WHEN p_updated BETWEEN (CASE WHEN p_created <= p_observed THEN p_created END) AND p_observed THEN p_updated ELSE p_observed END
$$;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "bird"."approval_run_history" (
	"id" uuid NOT NULL,
	"version" integer NOT NULL,
	"api_id" text,
	"approval_flow_id" uuid NOT NULL,
	"organization_id" uuid,
	"workspace_id" uuid,
	"status" text NOT NULL,
	"active_step" numeric,
	"invoker_type" text,
	"invoker_id" uuid,
	"object" jsonb,
	"previous_object" jsonb,
	"tags" jsonb NOT NULL,
	"results" jsonb NOT NULL,
	"extra" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"deleted_at" timestamp with time zone,
	"changed_after" timestamp with time zone,
	"observed_at" timestamp with time zone NOT NULL,
	"superseded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "approval_run_history_id_version_pk" PRIMARY KEY("id","version")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "bird"."decision_day_rollup" (
	"flow_id" uuid NOT NULL,
	"month" date NOT NULL,
	"day" date NOT NULL,
	"status" text NOT NULL,
	"runs" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "bird"."report_segments_dirty" (
	"flow_id" uuid NOT NULL,
	"month" date NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_segments_dirty_flow_id_month_pk" PRIMARY KEY("flow_id","month")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "bird"."reviewer_rollup" (
	"flow_id" uuid NOT NULL,
	"month" date NOT NULL,
	"reviewer_type" text,
	"reviewer_id" text,
	"decisions" integer NOT NULL,
	"approved" integer NOT NULL,
	"rejected" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "bird"."run_step_times" (
	"run_id" uuid NOT NULL,
	"flow_id" uuid NOT NULL,
	"step" numeric NOT NULL,
	"run_created_at" timestamp with time zone NOT NULL,
	"entered_after" timestamp with time zone NOT NULL,
	"entered_before" timestamp with time zone NOT NULL,
	"left_after" timestamp with time zone NOT NULL,
	"left_before" timestamp with time zone NOT NULL,
	"seconds_low" double precision GENERATED ALWAYS AS (greatest(extract(epoch FROM left_after - entered_before), 0)) STORED,
	"seconds_high" double precision GENERATED ALWAYS AS (extract(epoch FROM left_before - entered_after)) STORED,
	CONSTRAINT "run_step_times_run_id_entered_before_pk" PRIMARY KEY("run_id","entered_before")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "bird"."tag_rollup" (
	"flow_id" uuid NOT NULL,
	"month" date NOT NULL,
	"key" text,
	"value" text,
	"runs" integer NOT NULL,
	"pending" integer NOT NULL,
	"approved" integer NOT NULL,
	"denied" integer NOT NULL
);
--> statement-breakpoint
DROP INDEX IF EXISTS "bird"."approval_runs_flow_created_idx";--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "changed_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "observed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "first_read_sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "decision_after" timestamp with time zone[];--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "decision_before" timestamp with time zone[];--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "decision_at" timestamp with time zone[];--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "decided_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "decided_before" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "decided_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "step_entered_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "step_entered_before" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN IF NOT EXISTS "decision_seconds" double precision GENERATED ALWAYS AS (CASE WHEN status IN ('approved', 'denied') THEN extract(epoch FROM bird.decision_instant(decided_at, decided_before, created_at, updated_at, observed_at) - created_at) END) STORED;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "approval_run_history_superseded_idx" ON "bird"."approval_run_history" USING btree ("superseded_at");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "decision_day_rollup_segment_idx" ON "bird"."decision_day_rollup" USING btree ("flow_id","month");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "reviewer_rollup_segment_idx" ON "bird"."reviewer_rollup" USING btree ("flow_id","month");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "run_step_times_low_idx" ON "bird"."run_step_times" USING btree ("flow_id","step","seconds_low");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "run_step_times_high_idx" ON "bird"."run_step_times" USING btree ("flow_id","step","seconds_high");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "tag_rollup_segment_idx" ON "bird"."tag_rollup" USING btree ("flow_id","month");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "approval_runs_live_idx" ON "bird"."approval_runs" USING btree ("approval_flow_id","created_at") INCLUDE ("status", "decision_seconds") WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "approval_runs_latency_idx" ON "bird"."approval_runs" USING btree ("approval_flow_id","decision_seconds") INCLUDE ("created_at") WHERE deleted_at IS NULL AND status IN ('approved', 'denied');--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "approval_runs_observed_idx" ON "bird"."approval_runs" USING btree ("observed_at");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "approval_runs_deleted_idx" ON "bird"."approval_runs" USING btree ("approval_flow_id") WHERE deleted_at IS NOT NULL;--> statement-breakpoint
-- Runs stored before this migration were first seen at it (observed_at's default): decided ones were
-- decided between their creation and then, at their updatedAt when it lies in between.
UPDATE "bird"."approval_runs" SET "decided_after" = (CASE WHEN "created_at" <= "observed_at" THEN "created_at" END),
  "decided_before" = "observed_at",
  "decided_at" = CASE WHEN "updated_at" BETWEEN (CASE WHEN "created_at" <= "observed_at" THEN "created_at" END) AND "observed_at" THEN "updated_at" END
WHERE "status" <> 'pending';
