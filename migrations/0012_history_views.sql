-- Issues 22 and 26: decision history over bird.approval_runs (current versions) and
-- bird.approval_run_history (the versions they replaced), and reports that stay interactive at a
-- million runs. Every version has its observation window: it became current after
-- `changed_after` (a read that still showed the version before; NULL for the first one seen) and at
-- or before `observed_at` (the first read that showed it); a past version ends at `superseded_at`,
-- the first read of the next. Instants are on the database's clock. The field columns are the ones
-- RUN_COLUMNS derives from schema.ts: test/history.integration.test.ts fails when a field is added
-- to the tables and not to this view.
CREATE OR REPLACE VIEW "bird"."approval_run_versions" AS
SELECT h.id, h.version, h.api_id, h.approval_flow_id, h.organization_id, h.workspace_id, h.status, h.active_step,
  h.invoker_type, h.invoker_id, h.object, h.previous_object, h.tags, h.results, h.extra, h.created_at, h.updated_at,
  h.deleted_at, h.changed_after, h.observed_at, h.superseded_at, false AS is_current
FROM "bird"."approval_run_history" h
UNION ALL
SELECT r.id, r.version, r.api_id, r.approval_flow_id, r.organization_id, r.workspace_id, r.status, r.active_step,
  r.invoker_type, r.invoker_id, r.object, r.previous_object, r.tags, r.results, r.extra, r.created_at, r.updated_at,
  r.deleted_at, r.changed_after, r.observed_at, NULL::timestamptz AS superseded_at, true AS is_current
FROM "bird"."approval_runs" r;
--> statement-breakpoint
-- The runs as they were known at p_at: for each run, the version observed at or before p_at and not
-- yet superseded then; runs deleted by then, or first seen after it, are not there. Exact back to
-- SYNC_RUN_HISTORY_DAYS (older versions are pruned). Inlined: the filters reach both tables' indexes.
CREATE OR REPLACE FUNCTION "bird"."runs_as_of"(p_at timestamptz, p_flow_id uuid DEFAULT NULL)
RETURNS SETOF "bird"."approval_run_versions"
LANGUAGE sql STABLE AS $$
  SELECT v.* FROM bird.approval_run_versions v
  WHERE v.observed_at <= p_at AND (v.superseded_at IS NULL OR v.superseded_at > p_at) AND v.deleted_at IS NULL
    AND (p_flow_id IS NULL OR v.approval_flow_id = p_flow_id)
$$;
--> statement-breakpoint
-- One row per element of a live run's results[] (like bird.run_decisions), with the window it was made
-- in: the window of the first version of the unbroken stretch of versions, up to the current one, that
-- show this element at this position (the page write keeps it on the run's row: decision_after,
-- decision_before, decision_at). A decision already there when the run was first seen has the run's
-- created_at as its lower bound. decided_at: Bird's updatedAt of that version when it lies inside the
-- window (it then pins the moment); else NULL. NULL arrays: a run stored before the history, first
-- seen at its observed_at.
CREATE OR REPLACE FUNCTION "bird"."decisions_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (run_id uuid, flow_id uuid, "position" int, reviewer_type text, reviewer_id text, result text, comment text,
  decided_after timestamptz, decided_before timestamptz, decided_at timestamptz, run_status text, run_created_at timestamptz)
LANGUAGE sql STABLE AS $$
  -- p_since/p_until select decisions by the end of their window; no window of a run ends after the run's
  -- observed_at, so p_since first narrows the runs through approval_runs_observed_idx.
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
      AND (p_since IS NULL OR r.observed_at >= p_since)
      -- a window ends after its run was created, unless the run is dated in the future
      AND (p_until IS NULL OR r.created_at < p_until OR r.created_at > r.observed_at)
  ) x
  WHERE (p_since IS NULL OR x.decided_before >= p_since) AND (p_until IS NULL OR x.decided_before < p_until)
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."decisions" AS SELECT * FROM "bird"."decisions_for"();
--> statement-breakpoint
-- One row per live decided run: the window in which the sync saw it leave `pending` (kept on the row),
-- and decided_at as in bird.decisions.
CREATE OR REPLACE VIEW "bird"."run_decided" AS
SELECT r.id AS run_id, r.approval_flow_id AS flow_id, r.status, r.created_at AS run_created_at,
  coalesce(r.decided_after, (CASE WHEN r.created_at <= r.observed_at THEN r.created_at END)) AS decided_after,
  coalesce(r.decided_before, r.observed_at) AS decided_before,
  CASE WHEN r.decided_before IS NOT NULL THEN r.decided_at
       WHEN r.updated_at BETWEEN (CASE WHEN r.created_at <= r.observed_at THEN r.created_at END) AND r.observed_at THEN r.updated_at END AS decided_at
FROM "bird"."approval_runs" r
WHERE r.deleted_at IS NULL AND r.status IN ('approved', 'denied');
--> statement-breakpoint
-- Latency reads the decision windows: a run was decided at Bird's updatedAt when that lies inside the
-- window in which the sync saw it leave `pending`, else at the window's end (the first read that showed
-- it decided: an upper bound). Every column it reads is in approval_runs_live_idx: an index-only scan.
CREATE OR REPLACE FUNCTION "bird"."decision_latency_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, decided_runs int, p50_seconds float8, p90_seconds float8, max_seconds float8)
LANGUAGE sql STABLE AS $$
  -- percentile_cont, read at its rank in approval_runs_latency_idx instead of sorting every decided run:
  -- the values at rows floor(p·(n−1)) and the next, interpolated exactly as percentile_cont does.
  WITH g AS (
    SELECT r.approval_flow_id AS flow_id, count(*) AS n, max(r.decision_seconds) AS max
    FROM bird.approval_runs r
    WHERE r.deleted_at IS NULL AND r.status IN ('approved', 'denied')
      AND (p_flow_id IS NULL OR r.approval_flow_id = p_flow_id)
      AND (p_since IS NULL OR r.created_at >= p_since)
      AND (p_until IS NULL OR r.created_at < p_until)
    GROUP BY r.approval_flow_id
  )
  SELECT g.flow_id, coalesce(f.name, g.flow_id::text), g.n::int, p.p50, p.p90, g.max
  FROM g
  CROSS JOIN LATERAL (
    SELECT max(v.value) FILTER (WHERE v.pct = 0.5) AS p50, max(v.value) FILTER (WHERE v.pct = 0.9) AS p90
    FROM (VALUES (0.5::float8), (0.9::float8)) AS q(pct)
    CROSS JOIN LATERAL (
      SELECT q.pct, x[1] + (coalesce(x[2], x[1]) - x[1]) * (q.pct * (g.n - 1) - floor(q.pct * (g.n - 1))) AS value
      FROM (
        SELECT array_agg(o.s ORDER BY o.s) AS x FROM (
          SELECT r.decision_seconds AS s FROM bird.approval_runs r
          WHERE r.approval_flow_id = g.flow_id AND r.deleted_at IS NULL AND r.status IN ('approved', 'denied')
            AND (p_since IS NULL OR r.created_at >= p_since)
            AND (p_until IS NULL OR r.created_at < p_until)
          ORDER BY r.decision_seconds
          OFFSET floor(q.pct * (g.n - 1)) LIMIT 2
        ) o
      ) a
    ) v
  ) p
  LEFT JOIN bird.approval_flows f ON f.id = g.flow_id
$$;
--> statement-breakpoint
-- Time on each step (issue 22): one row per stretch a live run spent pending on one activeStep and then
-- left for another step or a decision, written by the page write when the stretch ended (a run deleted
-- while pending left nothing; a deletion drops its rows). The time lies in seconds_low..seconds_high.
CREATE OR REPLACE VIEW "bird"."run_steps" AS
SELECT s.run_id, s.flow_id, s.step, s.run_created_at, s.entered_after, s.entered_before, s.left_after, s.left_before,
  s.seconds_low, s.seconds_high
FROM "bird"."run_step_times" s;
--> statement-breakpoint
-- p50 and p90 time per step per flow, as bounds: each run's time lies in [seconds_low, seconds_high],
-- so the p-th percentile of the lows and of the highs bound the true p-th percentile.
CREATE OR REPLACE FUNCTION "bird"."step_times_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, step numeric, runs int, p50_low float8, p50_high float8, p90_low float8, p90_high float8)
LANGUAGE sql STABLE AS $$
  -- Each percentile_cont read at its rank in run_step_times_low_idx / _high_idx (as decision_latency_for).
  WITH g AS (
    SELECT s.flow_id, s.step, count(*) AS n
    FROM bird.run_step_times s
    WHERE (p_flow_id IS NULL OR s.flow_id = p_flow_id)
      AND (p_since IS NULL OR s.run_created_at >= p_since)
      AND (p_until IS NULL OR s.run_created_at < p_until)
    GROUP BY s.flow_id, s.step
  )
  SELECT g.flow_id, coalesce(f.name, g.flow_id::text), g.step, g.n::int, lo.p50, hi.p50, lo.p90, hi.p90
  FROM g
  CROSS JOIN LATERAL (
    SELECT max(v.value) FILTER (WHERE v.pct = 0.5) AS p50, max(v.value) FILTER (WHERE v.pct = 0.9) AS p90
    FROM (VALUES (0.5::float8), (0.9::float8)) AS q(pct)
    CROSS JOIN LATERAL (
      SELECT q.pct, x[1] + (coalesce(x[2], x[1]) - x[1]) * (q.pct * (g.n - 1) - floor(q.pct * (g.n - 1))) AS value
      FROM (SELECT array_agg(o.s ORDER BY o.s) AS x FROM (
        SELECT s.seconds_low AS s FROM bird.run_step_times s
        WHERE s.flow_id = g.flow_id AND s.step = g.step
          AND (p_since IS NULL OR s.run_created_at >= p_since) AND (p_until IS NULL OR s.run_created_at < p_until)
        ORDER BY s.seconds_low OFFSET floor(q.pct * (g.n - 1)) LIMIT 2) o) a
    ) v
  ) lo
  CROSS JOIN LATERAL (
    SELECT max(v.value) FILTER (WHERE v.pct = 0.5) AS p50, max(v.value) FILTER (WHERE v.pct = 0.9) AS p90
    FROM (VALUES (0.5::float8), (0.9::float8)) AS q(pct)
    CROSS JOIN LATERAL (
      SELECT q.pct, x[1] + (coalesce(x[2], x[1]) - x[1]) * (q.pct * (g.n - 1) - floor(q.pct * (g.n - 1))) AS value
      FROM (SELECT array_agg(o.s ORDER BY o.s) AS x FROM (
        SELECT s.seconds_high AS s FROM bird.run_step_times s
        WHERE s.flow_id = g.flow_id AND s.step = g.step
          AND (p_since IS NULL OR s.run_created_at >= p_since) AND (p_until IS NULL OR s.run_created_at < p_until)
        ORDER BY s.seconds_high OFFSET floor(q.pct * (g.n - 1)) LIMIT 2) o) a
    ) v
  ) hi
  LEFT JOIN bird.approval_flows f ON f.id = g.flow_id
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."step_times" AS SELECT * FROM "bird"."step_times_for"();
--> statement-breakpoint
-- Issue 26: tags and reviewers unnest jsonb of every run. They are rolled up per flow and UTC month of
-- created_at (bird.tag_rollup, bird.reviewer_rollup; and decided runs per day for the status page,
-- bird.decision_day_rollup); every write marks the segments it changed in
-- bird.report_segments_dirty (a trigger), and refresh_report_segments recomputes them (`sync` and the daemon, once
-- a segment has settled). A report adds the clean segments wholly inside its range to what it counts
-- from the runs themselves in dirty segments and in months its range only partly covers: its answer is
-- exactly what unnesting every run would give.
CREATE OR REPLACE FUNCTION "bird"."utc_month"(p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT date_trunc('month', p_at AT TIME ZONE 'UTC')::date $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."utc_month_start"(p_month date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT p_month::timestamp AT TIME ZONE 'UTC' $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."utc_month_end"(p_month date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT (p_month + interval '1 month') AT TIME ZONE 'UTC' $$;
--> statement-breakpoint
-- The stretches of [p_since, p_until) in months the range only partly covers (at most two).
CREATE OR REPLACE FUNCTION "bird"."partial_months"(p_since timestamptz, p_until timestamptz)
RETURNS TABLE (lo timestamptz, hi timestamptz)
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_since > bird.utc_month_start(m) THEN p_since ELSE bird.utc_month_start(m) END,
    CASE WHEN p_until < bird.utc_month_end(m) THEN p_until ELSE bird.utc_month_end(m) END
  FROM (SELECT DISTINCT m FROM (VALUES (bird.utc_month(p_since)), (bird.utc_month(p_until - interval '1 microsecond'))) v(m)
        WHERE m IS NOT NULL) ms
  WHERE p_since > bird.utc_month_start(m) OR p_until < bird.utc_month_end(m)
$$;
--> statement-breakpoint
-- The live runs a report counts itself: those in partly covered months, and in dirty segments wholly
-- inside the range (an index range scan each).
CREATE OR REPLACE FUNCTION "bird"."rolled_up_flows"() RETURNS TABLE (flow_id uuid)
LANGUAGE sql STABLE AS $$
  -- Every flow with a rollup row or a dirty segment, by loose index scans (one probe per flow): a flow
  -- with live runs in neither has no tag and no decision to count.
  WITH RECURSIVE t AS (
    (SELECT x.flow_id FROM bird.tag_rollup x ORDER BY x.flow_id LIMIT 1)
    UNION ALL
    SELECT (SELECT x.flow_id FROM bird.tag_rollup x WHERE x.flow_id > t.flow_id ORDER BY x.flow_id LIMIT 1) FROM t WHERE t.flow_id IS NOT NULL
  ), v AS (
    (SELECT x.flow_id FROM bird.reviewer_rollup x ORDER BY x.flow_id LIMIT 1)
    UNION ALL
    SELECT (SELECT x.flow_id FROM bird.reviewer_rollup x WHERE x.flow_id > v.flow_id ORDER BY x.flow_id LIMIT 1) FROM v WHERE v.flow_id IS NOT NULL
  )
  SELECT t.flow_id FROM t WHERE t.flow_id IS NOT NULL
  UNION SELECT v.flow_id FROM v WHERE v.flow_id IS NOT NULL
  UNION SELECT d.flow_id FROM bird.report_segments_dirty d
$$;
--> statement-breakpoint
-- The live runs a report counts itself: those in partly covered months (flow by flow, an index range
-- scan each), and in dirty segments wholly inside the range.
CREATE OR REPLACE FUNCTION "bird"."runs_not_rolled_up"(p_flow_id uuid, p_since timestamptz, p_until timestamptz)
RETURNS TABLE (id uuid, flow_id uuid, status text, tags jsonb, results jsonb)
LANGUAGE sql STABLE AS $$
  SELECT r.id, r.approval_flow_id, r.status, r.tags, r.results
  FROM bird.partial_months(p_since, p_until) e
  CROSS JOIN bird.rolled_up_flows() f
  CROSS JOIN LATERAL (
    SELECT x.id, x.approval_flow_id, x.status, x.tags, x.results FROM bird.approval_runs x
    WHERE x.approval_flow_id = f.flow_id AND x.created_at >= e.lo AND x.created_at < e.hi AND x.deleted_at IS NULL
    OFFSET 0
  ) r
  WHERE p_flow_id IS NULL OR f.flow_id = p_flow_id
  UNION ALL
  SELECT r.id, r.approval_flow_id, r.status, r.tags, r.results
  FROM bird.report_segments_dirty d
  JOIN bird.approval_runs r ON r.approval_flow_id = d.flow_id
    AND r.created_at >= bird.utc_month_start(d.month) AND r.created_at < bird.utc_month_end(d.month)
  WHERE r.deleted_at IS NULL AND (p_flow_id IS NULL OR d.flow_id = p_flow_id)
    AND (p_since IS NULL OR bird.utc_month_start(d.month) >= p_since)
    AND (p_until IS NULL OR bird.utc_month_end(d.month) <= p_until)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."tag_counts_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, key text, value text, runs int, pending int, approved int, denied int)
LANGUAGE sql STABLE AS $$
  -- DISTINCT per run: a run that carries the same tag twice counts once.
  SELECT c.flow_id, coalesce(f.name, c.flow_id::text), c.key, c.value, sum(c.runs)::int, sum(c.pending)::int,
    sum(c.approved)::int, sum(c.denied)::int
  FROM (
    SELECT t.flow_id, t.key, t.value, t.runs, t.pending, t.approved, t.denied
    FROM bird.tag_rollup t
    -- clean segments wholly inside the range
    WHERE (p_flow_id IS NULL OR t.flow_id = p_flow_id)
      AND (p_since IS NULL OR bird.utc_month_start(t.month) >= p_since)
      AND (p_until IS NULL OR bird.utc_month_end(t.month) <= p_until)
      AND NOT EXISTS (SELECT 1 FROM bird.report_segments_dirty d WHERE d.flow_id = t.flow_id AND d.month = t.month)
    UNION ALL
    SELECT p.flow_id, p.key, p.value, 1, (p.status = 'pending')::int, (p.status = 'approved')::int, (p.status = 'denied')::int
    FROM (
      SELECT DISTINCT r.id, r.flow_id, r.status, t.elem ->> 'key' AS key, t.elem ->> 'value' AS value
      FROM bird.runs_not_rolled_up(p_flow_id, p_since, p_until) r
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.tags) = 'array' THEN r.tags ELSE '[]'::jsonb END) AS t(elem)
    ) p
  ) c
  LEFT JOIN bird.approval_flows f ON f.id = c.flow_id
  GROUP BY c.flow_id, f.name, c.key, c.value
$$;
--> statement-breakpoint
-- Issue 23's `--org` filter (p_organization_id) kept: the figure is summed over that organization's flows only.
CREATE OR REPLACE FUNCTION "bird"."reviewer_workload_for"(p_flow_id uuid, p_since timestamptz, p_until timestamptz, p_organization_id text)
RETURNS TABLE (reviewer_type text, reviewer_id text, decisions int, approved int, rejected int, approval_rate float8, flows int)
LANGUAGE sql STABLE AS $$
  SELECT w.reviewer_type, w.reviewer_id, sum(w.decisions)::int, sum(w.approved)::int, sum(w.rejected)::int,
    sum(w.approved)::float8 / nullif(sum(w.approved) + sum(w.rejected), 0),
    count(DISTINCT w.flow_id)::int
  FROM (
    SELECT v.flow_id, v.reviewer_type, v.reviewer_id, v.decisions, v.approved, v.rejected
    FROM bird.reviewer_rollup v
    -- clean segments wholly inside the range
    WHERE (p_flow_id IS NULL OR v.flow_id = p_flow_id)
      AND (p_since IS NULL OR bird.utc_month_start(v.month) >= p_since)
      AND (p_until IS NULL OR bird.utc_month_end(v.month) <= p_until)
      AND NOT EXISTS (SELECT 1 FROM bird.report_segments_dirty d WHERE d.flow_id = v.flow_id AND d.month = v.month)
    UNION ALL
    SELECT r.flow_id,
      coalesce(d.elem -> 'reviewer' ->> 'type', CASE WHEN d.elem ->> 'userId' IS NOT NULL THEN 'user' END),
      coalesce(d.elem -> 'reviewer' ->> 'id', d.elem ->> 'userId'),
      1, (d.elem ->> 'result' = 'approved')::int, (d.elem ->> 'result' = 'rejected')::int
    FROM bird.runs_not_rolled_up(p_flow_id, p_since, p_until) r
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.results) = 'array' THEN r.results ELSE '[]'::jsonb END) AS d(elem)
  ) w
  WHERE p_organization_id IS NULL
    OR w.flow_id IN (SELECT s.flow_id FROM bird.sync_state s WHERE s.organization_id = p_organization_id)
  GROUP BY w.reviewer_type, w.reviewer_id
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."reviewer_workload_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (reviewer_type text, reviewer_id text, decisions int, approved int, rejected int, approval_rate float8, flows int)
LANGUAGE sql STABLE AS $$
  SELECT * FROM bird.reviewer_workload_for(p_flow_id, p_since, p_until, NULL::text)
$$;
--> statement-breakpoint
-- Recomputes up to p_limit dirty segments marked at least p_settled ago (oldest first) from the runs,
-- and clears their marks unless a write marked them again meanwhile (its row version is another).
-- Callers hold the advisory lock 'bird.report_segments' so two refreshes never both insert a segment.
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
  ), cleared AS (
    DELETE FROM bird.report_segments_dirty d USING todo WHERE d.flow_id = todo.flow_id AND d.month = todo.month AND d.xmin = todo.x
  )
  SELECT count(*)::int FROM todo
$$;
--> statement-breakpoint
-- Every statement that inserts, changes or deletes runs marks the segments it touched, before and after
-- (transition tables: the rows as they really were, whoever wrote them).
CREATE OR REPLACE FUNCTION "bird"."mark_report_segments"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO bird.report_segments_dirty (flow_id, month)
    SELECT DISTINCT o.approval_flow_id, bird.utc_month(o.created_at) FROM old_rows o
    ON CONFLICT (flow_id, month) DO UPDATE SET marked_at = now();
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO bird.report_segments_dirty (flow_id, month)
    SELECT DISTINCT n.approval_flow_id, bird.utc_month(n.created_at) FROM new_rows n
    ON CONFLICT (flow_id, month) DO UPDATE SET marked_at = now();
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS "approval_runs_mark_inserted" ON "bird"."approval_runs";--> statement-breakpoint
CREATE TRIGGER "approval_runs_mark_inserted" AFTER INSERT ON "bird"."approval_runs"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bird"."mark_report_segments"();
--> statement-breakpoint
DROP TRIGGER IF EXISTS "approval_runs_mark_updated" ON "bird"."approval_runs";--> statement-breakpoint
CREATE TRIGGER "approval_runs_mark_updated" AFTER UPDATE ON "bird"."approval_runs"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bird"."mark_report_segments"();
--> statement-breakpoint
DROP TRIGGER IF EXISTS "approval_runs_mark_deleted" ON "bird"."approval_runs";--> statement-breakpoint
CREATE TRIGGER "approval_runs_mark_deleted" AFTER DELETE ON "bird"."approval_runs"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bird"."mark_report_segments"();
--> statement-breakpoint
-- A deletion proven by a 404 under one flow is withdrawn when a read sent before that 404 shows the run
-- in another flow (it moved; the page statement keeps the version number): the version before the
-- deletion then ends where the replacing version was first seen, so runs_as_of never shows both. A
-- trigger, not a step of the page statement: a page written concurrently with the deletion sees the
-- deleted row only through ON CONFLICT, and its own snapshot does not hold the deletion's history row.
CREATE OR REPLACE FUNCTION "bird"."end_version_before_withdrawn_deletion"() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  UPDATE bird.approval_run_history h SET superseded_at = NEW.observed_at
  WHERE h.id = NEW.id AND h.version = NEW.version - 1 AND h.superseded_at > NEW.observed_at;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS "approval_runs_withdrawn_deletion" ON "bird"."approval_runs";--> statement-breakpoint
CREATE TRIGGER "approval_runs_withdrawn_deletion" AFTER UPDATE ON "bird"."approval_runs"
FOR EACH ROW WHEN (NEW.version = OLD.version AND OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL)
EXECUTE FUNCTION "bird"."end_version_before_withdrawn_deletion"();
--> statement-breakpoint
-- Runs stored before this migration: every segment is computed now.
INSERT INTO "bird"."report_segments_dirty" (flow_id, month)
SELECT DISTINCT approval_flow_id, bird.utc_month(created_at) FROM "bird"."approval_runs" WHERE deleted_at IS NULL
ON CONFLICT DO NOTHING;
--> statement-breakpoint
SELECT "bird"."refresh_report_segments"(2147483647);
