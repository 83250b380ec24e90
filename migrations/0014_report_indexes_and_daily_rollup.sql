-- Issue 26, part 1: `decisions --since/--until` read the runs a date range can hold through an index
-- instead of a sequential scan of approval_runs (1.2–1.6 s at a million runs, reading every run to keep
-- 4 %). A decision's window ends (decided_before) at or before its run's observed_at, and at or after
-- its created_at unless the run is dated after it was seen (then at any time): the run can hold
-- decisions of [since, until) when observed_at >= since and decision_span_start < until, exactly the
-- conditions used before. Both columns are in one btree, so the second is checked in the index and
-- only the runs that pass are read. A range index (SP-GiST or GiST over the span) answers the same
-- from fewer index entries, but costs 30–40 µs a row to insert when runs arrive in created_at order, as
-- a backfill writes them (+2.4 s of PostgreSQL CPU per 100,000 runs in `npm run bench`); this btree
-- costs what approval_runs_observed_idx, which it replaces (its only reader was this), did.
CREATE OR REPLACE FUNCTION "bird"."decision_span_start"(created_at timestamptz, observed_at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN created_at > observed_at THEN '-infinity'::timestamptz ELSE created_at END
$$;--> statement-breakpoint
DROP INDEX IF EXISTS "bird"."approval_runs_observed_idx";--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "approval_runs_decision_end_idx" ON "bird"."approval_runs" USING btree ("observed_at", bird.decision_span_start("created_at", "observed_at")) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."decisions_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (run_id uuid, flow_id uuid, "position" int, reviewer_type text, reviewer_id text, result text, comment text,
  decided_after timestamptz, decided_before timestamptz, decided_at timestamptz, run_status text, run_created_at timestamptz)
LANGUAGE sql STABLE AS $$
  -- p_since/p_until select decisions by the end of their window. Every window of a run ends between
  -- bird.decision_span_start and observed_at, so the runs a range can hold are found in
  -- approval_runs_decision_end_idx (both conditions are index conditions; the function is inlined).
  SELECT x.* FROM (
    SELECT r.id, r.approval_flow_id, d.ordinal::int,
      coalesce(d.elem -> 'reviewer' ->> 'type', CASE WHEN d.elem ->> 'userId' IS NOT NULL THEN 'user' END),
      coalesce(d.elem -> 'reviewer' ->> 'id', d.elem ->> 'userId'),
      d.elem ->> 'result',
      d.elem ->> 'comment',
      coalesce(r.decision_after[d.ordinal], (CASE WHEN r.created_at <= r.observed_at THEN r.created_at END)),
      coalesce(r.decision_before[d.ordinal], r.observed_at) AS decided_before,
      CASE WHEN r.decision_after IS NOT NULL THEN r.decision_at[d.ordinal]
           WHEN r.updated_at BETWEEN (CASE WHEN r.created_at <= r.observed_at THEN r.created_at END) AND r.observed_at THEN r.updated_at END,
      r.status,
      r.created_at
    FROM bird.approval_runs r
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.results) = 'array' THEN r.results ELSE '[]'::jsonb END)
      WITH ORDINALITY AS d(elem, ordinal)
    WHERE r.deleted_at IS NULL
      AND (p_flow_id IS NULL OR r.approval_flow_id = p_flow_id)
      AND r.observed_at >= coalesce(p_since, '-infinity')
      AND bird.decision_span_start(r.created_at, r.observed_at) < coalesce(p_until, 'infinity')
  ) x
  WHERE (p_since IS NULL OR x.decided_before >= p_since) AND (p_until IS NULL OR x.decided_before < p_until)
$$;
--> statement-breakpoint
-- Issue 26, part 2: `report daily` counted every live run on every call (0.9–1.2 s at a million runs,
-- growing with the table). Live runs per day and status are rolled up per segment (flow, UTC month of
-- created_at) like tags and reviewers: clean segments wholly inside the range are read from
-- bird.run_day_rollup, the rest counted from the runs (bird.runs_not_rolled_up), so the answer is
-- always exactly what counting every run gives. Every live run's segment now has rollup rows, so this
-- rollup alone tells which flows have runs to count.
CREATE TABLE IF NOT EXISTS "bird"."run_day_rollup" (
	"flow_id" uuid NOT NULL,
	"month" date NOT NULL,
	"day" date NOT NULL,
	"status" text NOT NULL,
	"runs" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "run_day_rollup_segment_idx" ON "bird"."run_day_rollup" USING btree ("flow_id","month");--> statement-breakpoint
-- The segments that are clean now get their rows here (the others are counted from their runs until
-- the next refresh recomputes them), so reports stay fast right after the upgrade.
INSERT INTO "bird"."run_day_rollup" (flow_id, month, day, status, runs)
SELECT r.approval_flow_id, bird.utc_month(r.created_at), (r.created_at AT TIME ZONE 'UTC')::date, r.status, count(*)
FROM "bird"."approval_runs" r
WHERE r.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM bird.report_segments_dirty d WHERE d.flow_id = r.approval_flow_id AND d.month = bird.utc_month(r.created_at))
GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."rolled_up_flows"() RETURNS TABLE (flow_id uuid)
LANGUAGE sql STABLE AS $$
  -- Every flow with a rollup row or a dirty segment, by a loose index scan (one probe per flow): every
  -- clean segment with live runs has run_day_rollup rows, so a flow in neither has no live run.
  WITH RECURSIVE t AS (
    (SELECT x.flow_id FROM bird.run_day_rollup x ORDER BY x.flow_id LIMIT 1)
    UNION ALL
    SELECT (SELECT x.flow_id FROM bird.run_day_rollup x WHERE x.flow_id > t.flow_id ORDER BY x.flow_id LIMIT 1) FROM t WHERE t.flow_id IS NOT NULL
  )
  SELECT t.flow_id FROM t WHERE t.flow_id IS NOT NULL
  UNION SELECT d.flow_id FROM bird.report_segments_dirty d
$$;
--> statement-breakpoint
-- Its rows now say when each run was created (for the daily counts): a new result type, so dropped first.
DROP FUNCTION IF EXISTS "bird"."runs_not_rolled_up"(uuid, timestamptz, timestamptz);--> statement-breakpoint
CREATE FUNCTION "bird"."runs_not_rolled_up"(p_flow_id uuid, p_since timestamptz, p_until timestamptz)
RETURNS TABLE (id uuid, flow_id uuid, status text, tags jsonb, results jsonb, created_at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT r.id, r.approval_flow_id, r.status, r.tags, r.results, r.created_at
  FROM bird.partial_months(p_since, p_until) e
  CROSS JOIN bird.rolled_up_flows() f
  CROSS JOIN LATERAL (
    SELECT x.id, x.approval_flow_id, x.status, x.tags, x.results, x.created_at FROM bird.approval_runs x
    WHERE x.approval_flow_id = f.flow_id AND x.created_at >= e.lo AND x.created_at < e.hi AND x.deleted_at IS NULL
    OFFSET 0
  ) r
  WHERE p_flow_id IS NULL OR f.flow_id = p_flow_id
  UNION ALL
  SELECT r.id, r.approval_flow_id, r.status, r.tags, r.results, r.created_at
  FROM bird.report_segments_dirty d
  JOIN bird.approval_runs r ON r.approval_flow_id = d.flow_id
    AND r.created_at >= bird.utc_month_start(d.month) AND r.created_at < bird.utc_month_end(d.month)
  WHERE r.deleted_at IS NULL AND (p_flow_id IS NULL OR d.flow_id = p_flow_id)
    AND (p_since IS NULL OR bird.utc_month_start(d.month) >= p_since)
    AND (p_until IS NULL OR bird.utc_month_end(d.month) <= p_until)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."daily_volume_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (day date, flow_id uuid, flow_name text, status text, runs int)
LANGUAGE sql STABLE AS $$
  SELECT v.day, v.flow_id, coalesce(f.name, v.flow_id::text), v.status, v.runs
  FROM (
    SELECT c.day, c.flow_id, c.status, sum(c.runs)::int AS runs
    FROM (
      SELECT t.day, t.flow_id, t.status, t.runs
      FROM bird.run_day_rollup t
      -- clean segments wholly inside the range
      WHERE (p_flow_id IS NULL OR t.flow_id = p_flow_id)
        AND (p_since IS NULL OR bird.utc_month_start(t.month) >= p_since)
        AND (p_until IS NULL OR bird.utc_month_end(t.month) <= p_until)
        AND NOT EXISTS (SELECT 1 FROM bird.report_segments_dirty d WHERE d.flow_id = t.flow_id AND d.month = t.month)
      UNION ALL
      SELECT (r.created_at AT TIME ZONE 'UTC')::date, r.flow_id, r.status, 1
      FROM bird.runs_not_rolled_up(p_flow_id, p_since, p_until) r
    ) c
    GROUP BY c.day, c.flow_id, c.status
  ) v
  LEFT JOIN bird.approval_flows f ON f.id = v.flow_id
$$;
--> statement-breakpoint
-- The refresh recomputes run_day_rollup with the other rollups of a segment (same as 0012 otherwise).
CREATE OR REPLACE FUNCTION "bird"."refresh_report_segments"(p_limit int, p_settled interval DEFAULT interval '0')
RETURNS int
LANGUAGE sql AS $$
  WITH todo AS (
    SELECT d.flow_id, d.month, d.xmin AS x FROM bird.report_segments_dirty d
    WHERE d.marked_at <= now() - p_settled ORDER BY d.marked_at, d.flow_id, d.month LIMIT p_limit
  ), runs AS (
    SELECT r.id, r.approval_flow_id AS flow_id, todo.month, r.status, r.tags, r.results, r.created_at, r.decision_seconds
    FROM todo JOIN bird.approval_runs r ON r.approval_flow_id = todo.flow_id
      AND r.created_at >= bird.utc_month_start(todo.month) AND r.created_at < bird.utc_month_end(todo.month)
    WHERE r.deleted_at IS NULL
  ), old_tags AS (
    DELETE FROM bird.tag_rollup t USING todo WHERE t.flow_id = todo.flow_id AND t.month = todo.month
  ), old_reviewers AS (
    DELETE FROM bird.reviewer_rollup v USING todo WHERE v.flow_id = todo.flow_id AND v.month = todo.month
  ), new_tags AS (
    INSERT INTO bird.tag_rollup (flow_id, month, key, value, runs, pending, approved, denied)
    SELECT p.flow_id, p.month, p.key, p.value, count(*), count(*) FILTER (WHERE p.status = 'pending'),
      count(*) FILTER (WHERE p.status = 'approved'), count(*) FILTER (WHERE p.status = 'denied')
    FROM (
      SELECT DISTINCT r.id, r.flow_id, r.month, r.status, t.elem ->> 'key' AS key, t.elem ->> 'value' AS value
      FROM runs r
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.tags) = 'array' THEN r.tags ELSE '[]'::jsonb END) AS t(elem)
    ) p
    GROUP BY p.flow_id, p.month, p.key, p.value
  ), new_reviewers AS (
    INSERT INTO bird.reviewer_rollup (flow_id, month, reviewer_type, reviewer_id, decisions, approved, rejected)
    SELECT w.flow_id, w.month, w.reviewer_type, w.reviewer_id, count(*), count(*) FILTER (WHERE w.result = 'approved'),
      count(*) FILTER (WHERE w.result = 'rejected')
    FROM (
      SELECT r.flow_id, r.month,
        coalesce(d.elem -> 'reviewer' ->> 'type', CASE WHEN d.elem ->> 'userId' IS NOT NULL THEN 'user' END) AS reviewer_type,
        coalesce(d.elem -> 'reviewer' ->> 'id', d.elem ->> 'userId') AS reviewer_id,
        d.elem ->> 'result' AS result
      FROM runs r
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.results) = 'array' THEN r.results ELSE '[]'::jsonb END) AS d(elem)
    ) w
    GROUP BY w.flow_id, w.month, w.reviewer_type, w.reviewer_id
  ), old_days AS (
    DELETE FROM bird.decision_day_rollup t USING todo WHERE t.flow_id = todo.flow_id AND t.month = todo.month
  ), new_days AS (
    INSERT INTO bird.decision_day_rollup (flow_id, month, day, status, runs)
    SELECT r.flow_id, r.month, ((r.created_at + r.decision_seconds * interval '1 second') AT TIME ZONE 'UTC')::date, r.status, count(*)
    FROM runs r WHERE r.status IN ('approved', 'denied')
    GROUP BY 1, 2, 3, 4
  ), old_run_days AS (
    DELETE FROM bird.run_day_rollup t USING todo WHERE t.flow_id = todo.flow_id AND t.month = todo.month
  ), new_run_days AS (
    INSERT INTO bird.run_day_rollup (flow_id, month, day, status, runs)
    SELECT r.flow_id, r.month, (r.created_at AT TIME ZONE 'UTC')::date, r.status, count(*)
    FROM runs r
    GROUP BY 1, 2, 3, 4
  ), cleared AS (
    DELETE FROM bird.report_segments_dirty d USING todo WHERE d.flow_id = todo.flow_id AND d.month = todo.month AND d.xmin = todo.x
  )
  SELECT count(*)::int FROM todo
$$;
