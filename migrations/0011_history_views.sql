-- Issue 22: decision history over bird.approval_runs (current versions) and bird.approval_run_history
-- (the versions they replaced). Every version has its observation window: it became current after
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
-- show this element at this position. A decision already there when the run was first seen (or whose
-- earlier versions were pruned) has the run's created_at as its lower bound. decided_at: Bird's
-- updatedAt of that version when it lies inside the window (it then pins the moment); else NULL.
CREATE OR REPLACE VIEW "bird"."decisions" AS
SELECT x.run_id, x.flow_id, x.position, x.reviewer_type, x.reviewer_id, x.result, x.comment,
  x.decided_after, x.decided_before,
  CASE WHEN x.version_updated_at BETWEEN x.decided_after AND x.decided_before THEN x.version_updated_at END AS decided_at,
  x.run_status, x.run_created_at
FROM (
  SELECT r.id AS run_id, r.approval_flow_id AS flow_id, d.ordinal::int AS position,
    coalesce(d.elem -> 'reviewer' ->> 'type', CASE WHEN d.elem ->> 'userId' IS NOT NULL THEN 'user' END) AS reviewer_type,
    coalesce(d.elem -> 'reviewer' ->> 'id', d.elem ->> 'userId') AS reviewer_id,
    d.elem ->> 'result' AS result,
    d.elem ->> 'comment' AS comment,
    CASE WHEN f.version IS NOT NULL THEN CASE WHEN f.earliest THEN r.created_at ELSE f.changed_after END
         WHEN r.version = 1 OR r.changed_after IS NULL
           OR NOT EXISTS (SELECT 1 FROM bird.approval_run_history e WHERE e.id = r.id) THEN least(r.created_at, r.observed_at)
         ELSE r.changed_after END AS decided_after,
    coalesce(f.observed_at, r.observed_at) AS decided_before,
    coalesce(f.updated_at, r.updated_at) AS version_updated_at,
    r.status AS run_status,
    r.created_at AS run_created_at
  FROM bird.approval_runs r
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.results) = 'array' THEN r.results ELSE '[]'::jsonb END)
    WITH ORDINALITY AS d(elem, ordinal)
  LEFT JOIN LATERAL (
    -- the earliest past version from which every version on shows the element; none: the current one
    SELECT h.version, h.changed_after, h.observed_at, h.updated_at,
      NOT EXISTS (SELECT 1 FROM bird.approval_run_history e WHERE e.id = r.id AND e.version < h.version) AS earliest
    FROM bird.approval_run_history h
    WHERE r.version > 1 AND h.id = r.id
      AND NOT EXISTS (SELECT 1 FROM bird.approval_run_history o WHERE o.id = r.id AND o.version >= h.version
        AND o.results -> (d.ordinal::int - 1) IS DISTINCT FROM d.elem)
    ORDER BY h.version
    LIMIT 1
  ) f ON true
  WHERE r.deleted_at IS NULL
) x;
--> statement-breakpoint
-- One row per live decided run: the window in which it left `pending` (the first version of the
-- unbroken stretch of decided versions up to the current one), and decided_at as in bird.decisions.
CREATE OR REPLACE VIEW "bird"."run_decided" AS
SELECT x.run_id, x.flow_id, x.status, x.run_created_at, x.decided_after, x.decided_before,
  CASE WHEN x.version_updated_at BETWEEN x.decided_after AND x.decided_before THEN x.version_updated_at END AS decided_at
FROM (
  SELECT r.id AS run_id, r.approval_flow_id AS flow_id, r.status, r.created_at AS run_created_at,
    CASE WHEN f.version IS NOT NULL THEN CASE WHEN f.earliest THEN r.created_at ELSE f.changed_after END
         WHEN r.version = 1 OR r.changed_after IS NULL
           OR NOT EXISTS (SELECT 1 FROM bird.approval_run_history e WHERE e.id = r.id) THEN least(r.created_at, r.observed_at)
         ELSE r.changed_after END AS decided_after,
    coalesce(f.observed_at, r.observed_at) AS decided_before,
    coalesce(f.updated_at, r.updated_at) AS version_updated_at
  FROM bird.approval_runs r
  LEFT JOIN LATERAL (
    SELECT h.version, h.changed_after, h.observed_at, h.updated_at,
      NOT EXISTS (SELECT 1 FROM bird.approval_run_history e WHERE e.id = r.id AND e.version < h.version) AS earliest
    FROM bird.approval_run_history h
    WHERE r.version > 1 AND h.id = r.id
      AND NOT EXISTS (SELECT 1 FROM bird.approval_run_history o WHERE o.id = r.id AND o.version >= h.version
        AND (o.status = 'pending' OR o.deleted_at IS NOT NULL))
    ORDER BY h.version
    LIMIT 1
  ) f ON true
  WHERE r.deleted_at IS NULL AND r.status IN ('approved', 'denied')
) x;
--> statement-breakpoint
-- Latency now reads the decision windows: a run was decided at Bird's updatedAt when that lies inside
-- the window in which the worker saw it leave `pending`, else at the window's end (the first read
-- that showed it decided: an upper bound). A run edited after its decision no longer counts the edit.
CREATE OR REPLACE FUNCTION "bird"."decision_latency_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, decided_runs int, p50_seconds float8, p90_seconds float8, max_seconds float8)
LANGUAGE sql STABLE AS $$
  SELECT l.flow_id, coalesce(f.name, l.flow_id::text), l.decided_runs, l.p50, l.p90, l.max
  FROM (
    SELECT d.flow_id, count(*)::int AS decided_runs,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM coalesce(d.decided_at, d.decided_before) - d.run_created_at)::float8) AS p50,
      percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM coalesce(d.decided_at, d.decided_before) - d.run_created_at)::float8) AS p90,
      max(extract(epoch FROM coalesce(d.decided_at, d.decided_before) - d.run_created_at))::float8 AS max
    FROM bird.run_decided d
    WHERE (p_flow_id IS NULL OR d.flow_id = p_flow_id)
      AND (p_since IS NULL OR d.run_created_at >= p_since)
      AND (p_until IS NULL OR d.run_created_at < p_until)
    GROUP BY d.flow_id
  ) l
  LEFT JOIN bird.approval_flows f ON f.id = l.flow_id
$$;
--> statement-breakpoint
-- Time on each step (issue 22): one row per stretch a run spent pending on one activeStep and then
-- left for another step or a decision (a run deleted while pending left nothing), with bounds from the versions' windows. Only runs
-- seen to change have such a stretch, so only they are read. seconds_low..seconds_high holds the time.
CREATE OR REPLACE VIEW "bird"."run_steps" AS
WITH v AS (
  SELECT v.id, v.version, v.approval_flow_id, v.status, v.active_step, v.deleted_at IS NOT NULL AS deleted,
    v.created_at, v.changed_after, v.observed_at,
    min(v.version) OVER (PARTITION BY v.id) AS first_version,
    lag(v.active_step) OVER w AS prev_step, lag(v.status) OVER w AS prev_status, lag(v.deleted_at IS NOT NULL) OVER w AS prev_deleted
  FROM bird.approval_run_versions v
  WHERE v.id IN (SELECT h.id FROM bird.approval_run_history h)
  WINDOW w AS (PARTITION BY v.id ORDER BY v.version)
), stretches AS (
  SELECT v.*,
    CASE WHEN v.version = v.first_version THEN least(v.created_at, v.observed_at) ELSE v.changed_after END AS entered_after,
    lead(v.changed_after) OVER (PARTITION BY v.id ORDER BY v.version) AS left_after,
    lead(v.observed_at) OVER (PARTITION BY v.id ORDER BY v.version) AS left_before,
    lead(v.deleted) OVER (PARTITION BY v.id ORDER BY v.version) AS left_deleted
  FROM v
  WHERE v.version = v.first_version OR v.active_step IS DISTINCT FROM v.prev_step OR v.status IS DISTINCT FROM v.prev_status
    OR v.deleted IS DISTINCT FROM v.prev_deleted
)
SELECT s.id AS run_id, s.approval_flow_id AS flow_id, s.active_step AS step, s.created_at AS run_created_at,
  s.entered_after, s.observed_at AS entered_before, s.left_after, s.left_before,
  greatest(extract(epoch FROM s.left_after - s.observed_at), 0)::float8 AS seconds_low,
  extract(epoch FROM s.left_before - s.entered_after)::float8 AS seconds_high
FROM stretches s
WHERE s.status = 'pending' AND NOT s.deleted AND s.active_step IS NOT NULL AND s.left_before IS NOT NULL AND NOT s.left_deleted;
--> statement-breakpoint
-- p50 and p90 time per step per flow, as bounds: each run's time lies in [seconds_low, seconds_high],
-- so the p-th percentile of the lows and of the highs bound the true p-th percentile.
CREATE OR REPLACE FUNCTION "bird"."step_times_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, step numeric, runs int, p50_low float8, p50_high float8, p90_low float8, p90_high float8)
LANGUAGE sql STABLE AS $$
  SELECT t.flow_id, coalesce(f.name, t.flow_id::text), t.step, t.runs, t.p50_low, t.p50_high, t.p90_low, t.p90_high
  FROM (
    SELECT s.flow_id, s.step, count(*)::int AS runs,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY s.seconds_low) AS p50_low,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY s.seconds_high) AS p50_high,
      percentile_cont(0.9) WITHIN GROUP (ORDER BY s.seconds_low) AS p90_low,
      percentile_cont(0.9) WITHIN GROUP (ORDER BY s.seconds_high) AS p90_high
    FROM bird.run_steps s
    WHERE (p_flow_id IS NULL OR s.flow_id = p_flow_id)
      AND (p_since IS NULL OR s.run_created_at >= p_since)
      AND (p_until IS NULL OR s.run_created_at < p_until)
    GROUP BY s.flow_id, s.step
  ) t
  LEFT JOIN bird.approval_flows f ON f.id = t.flow_id
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."step_times" AS SELECT * FROM "bird"."step_times_for"();
