-- Issue 6: the reporting contract users query in SQL (README "Reporting"). Every view leaves out
-- soft-deleted runs (deleted_at IS NOT NULL). Each aggregate view is its bird.<view>_for() function
-- called without filters: one definition per figure, and `approvals-sync report --flow/--since/--until`
-- calls the same functions. They are LANGUAGE sql, STABLE, not STRICT and a single SELECT, so the
-- planner inlines them and the filters reach approval_runs_flow_created_idx (the reports stay cheap).
-- Date filters are on the run's created_at: p_since inclusive, p_until exclusive; NULL = unbounded.
-- Flow names: approval_flows.name, else the flow id as text (flows synced by BIRD_APPROVAL_IDS may
-- have no metadata). Days are UTC days.
CREATE OR REPLACE VIEW "bird"."run_decisions" AS
SELECT r.id AS run_id,
  r.approval_flow_id AS flow_id,
  d.ordinal::int AS ordinal,
  -- `userId` is Bird's deprecated spelling of reviewer.id (a user): runs from older flows carry only that.
  coalesce(d.elem -> 'reviewer' ->> 'type', CASE WHEN d.elem ->> 'userId' IS NOT NULL THEN 'user' END) AS reviewer_type,
  coalesce(d.elem -> 'reviewer' ->> 'id', d.elem ->> 'userId') AS reviewer_id,
  d.elem ->> 'result' AS result,
  d.elem ->> 'comment' AS comment,
  r.status AS run_status,
  r.created_at AS run_created_at,
  r.updated_at AS run_updated_at
FROM "bird"."approval_runs" r
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.results) = 'array' THEN r.results ELSE '[]'::jsonb END)
  WITH ORDINALITY AS d(elem, ordinal)
WHERE r.deleted_at IS NULL;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."run_tags" AS
SELECT r.id AS run_id,
  r.approval_flow_id AS flow_id,
  t.elem ->> 'key' AS key,
  t.elem ->> 'value' AS value,
  r.status AS run_status,
  r.created_at AS run_created_at
FROM "bird"."approval_runs" r
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.tags) = 'array' THEN r.tags ELSE '[]'::jsonb END) AS t(elem)
WHERE r.deleted_at IS NULL;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."flow_summary_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, total_runs int, pending int, approved int, denied int,
  approval_rate float8, first_run_at timestamptz, last_run_at timestamptz)
LANGUAGE sql STABLE AS $$
  -- A full join, not a list of known flows: a flow with runs but no metadata or state still shows,
  -- and a flow without runs shows with zeros.
  WITH counts AS (
    SELECT r.approval_flow_id AS flow_id,
      count(*)::int AS total_runs,
      count(*) FILTER (WHERE r.status = 'pending')::int AS pending,
      count(*) FILTER (WHERE r.status = 'approved')::int AS approved,
      count(*) FILTER (WHERE r.status = 'denied')::int AS denied,
      min(r.created_at) AS first_run_at,
      max(r.created_at) AS last_run_at
    FROM bird.approval_runs r
    WHERE r.deleted_at IS NULL
      AND (p_flow_id IS NULL OR r.approval_flow_id = p_flow_id)
      AND (p_since IS NULL OR r.created_at >= p_since)
      AND (p_until IS NULL OR r.created_at < p_until)
    GROUP BY r.approval_flow_id
  ), known AS (
    SELECT f.id AS flow_id FROM bird.approval_flows f WHERE p_flow_id IS NULL OR f.id = p_flow_id
    UNION
    SELECT s.flow_id FROM bird.sync_state s WHERE p_flow_id IS NULL OR s.flow_id = p_flow_id
  )
  SELECT coalesce(k.flow_id, c.flow_id),
    coalesce(f.name, coalesce(k.flow_id, c.flow_id)::text),
    coalesce(c.total_runs, 0), coalesce(c.pending, 0), coalesce(c.approved, 0), coalesce(c.denied, 0),
    c.approved::float8 / nullif(c.approved + c.denied, 0),
    c.first_run_at, c.last_run_at
  FROM known k
  FULL JOIN counts c ON c.flow_id = k.flow_id
  LEFT JOIN bird.approval_flows f ON f.id = coalesce(k.flow_id, c.flow_id)
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."flow_summary" AS SELECT * FROM "bird"."flow_summary_for"();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."daily_volume_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (day date, flow_id uuid, flow_name text, status text, runs int)
LANGUAGE sql STABLE AS $$
  SELECT v.day, v.flow_id, coalesce(f.name, v.flow_id::text), v.status, v.runs
  FROM (
    SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, r.approval_flow_id AS flow_id, r.status, count(*)::int AS runs
    FROM bird.approval_runs r
    WHERE r.deleted_at IS NULL
      AND (p_flow_id IS NULL OR r.approval_flow_id = p_flow_id)
      AND (p_since IS NULL OR r.created_at >= p_since)
      AND (p_until IS NULL OR r.created_at < p_until)
    GROUP BY 1, 2, 3
  ) v
  LEFT JOIN bird.approval_flows f ON f.id = v.flow_id
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."daily_volume" AS SELECT * FROM "bird"."daily_volume_for"();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."decision_latency_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, decided_runs int, p50_seconds float8, p90_seconds float8, max_seconds float8)
LANGUAGE sql STABLE AS $$
  -- A decided run's updated_at is when it was decided: Bird does not change a run after its decision.
  SELECT l.flow_id, coalesce(f.name, l.flow_id::text), l.decided_runs, l.p50, l.p90, l.max
  FROM (
    SELECT r.approval_flow_id AS flow_id, count(*)::int AS decided_runs,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.updated_at - r.created_at)::float8) AS p50,
      percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM r.updated_at - r.created_at)::float8) AS p90,
      max(extract(epoch FROM r.updated_at - r.created_at))::float8 AS max
    FROM bird.approval_runs r
    WHERE r.deleted_at IS NULL AND r.status IN ('approved', 'denied')
      AND (p_flow_id IS NULL OR r.approval_flow_id = p_flow_id)
      AND (p_since IS NULL OR r.created_at >= p_since)
      AND (p_until IS NULL OR r.created_at < p_until)
    GROUP BY r.approval_flow_id
  ) l
  LEFT JOIN bird.approval_flows f ON f.id = l.flow_id
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."decision_latency" AS SELECT * FROM "bird"."decision_latency_for"();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."pending_backlog_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, bucket_order int, age_bucket text, runs int, oldest_created_at timestamptz)
LANGUAGE sql STABLE AS $$
  -- status = 'pending' AND deleted_at IS NULL: exactly the predicate of approval_runs_pending_idx.
  SELECT b.flow_id, coalesce(f.name, b.flow_id::text), b.bucket_order,
    (ARRAY['<1h', '1h-24h', '1d-7d', '7d-30d', '>30d'])[b.bucket_order], b.runs, b.oldest_created_at
  FROM (
    SELECT r.approval_flow_id AS flow_id,
      CASE WHEN now() - r.created_at < interval '1 hour' THEN 1
           WHEN now() - r.created_at < interval '24 hours' THEN 2
           WHEN now() - r.created_at < interval '7 days' THEN 3
           WHEN now() - r.created_at < interval '30 days' THEN 4
           ELSE 5 END AS bucket_order,
      count(*)::int AS runs,
      min(r.created_at) AS oldest_created_at
    FROM bird.approval_runs r
    WHERE r.status = 'pending' AND r.deleted_at IS NULL
      AND (p_flow_id IS NULL OR r.approval_flow_id = p_flow_id)
      AND (p_since IS NULL OR r.created_at >= p_since)
      AND (p_until IS NULL OR r.created_at < p_until)
    GROUP BY 1, 2
  ) b
  LEFT JOIN bird.approval_flows f ON f.id = b.flow_id
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."pending_backlog" AS SELECT * FROM "bird"."pending_backlog_for"();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."reviewer_workload_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (reviewer_type text, reviewer_id text, decisions int, approved int, rejected int, approval_rate float8, flows int)
LANGUAGE sql STABLE AS $$
  SELECT d.reviewer_type, d.reviewer_id,
    count(*)::int,
    count(*) FILTER (WHERE d.result = 'approved')::int,
    count(*) FILTER (WHERE d.result = 'rejected')::int,
    count(*) FILTER (WHERE d.result = 'approved')::float8 / nullif(count(*) FILTER (WHERE d.result IN ('approved', 'rejected')), 0),
    count(DISTINCT d.flow_id)::int
  FROM bird.run_decisions d
  WHERE (p_flow_id IS NULL OR d.flow_id = p_flow_id)
    AND (p_since IS NULL OR d.run_created_at >= p_since)
    AND (p_until IS NULL OR d.run_created_at < p_until)
  GROUP BY d.reviewer_type, d.reviewer_id
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."reviewer_workload" AS SELECT * FROM "bird"."reviewer_workload_for"();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."tag_counts_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (flow_id uuid, flow_name text, key text, value text, runs int, pending int, approved int, denied int)
LANGUAGE sql STABLE AS $$
  -- DISTINCT run_id: a run that carries the same tag twice counts once.
  SELECT c.flow_id, coalesce(f.name, c.flow_id::text), c.key, c.value, c.runs, c.pending, c.approved, c.denied
  FROM (
    SELECT t.flow_id, t.key, t.value,
      count(DISTINCT t.run_id)::int AS runs,
      count(DISTINCT t.run_id) FILTER (WHERE t.run_status = 'pending')::int AS pending,
      count(DISTINCT t.run_id) FILTER (WHERE t.run_status = 'approved')::int AS approved,
      count(DISTINCT t.run_id) FILTER (WHERE t.run_status = 'denied')::int AS denied
    FROM bird.run_tags t
    WHERE (p_flow_id IS NULL OR t.flow_id = p_flow_id)
      AND (p_since IS NULL OR t.run_created_at >= p_since)
      AND (p_until IS NULL OR t.run_created_at < p_until)
    GROUP BY t.flow_id, t.key, t.value
  ) c
  LEFT JOIN bird.approval_flows f ON f.id = c.flow_id
$$;
--> statement-breakpoint
CREATE OR REPLACE VIEW "bird"."tag_counts" AS SELECT * FROM "bird"."tag_counts_for"();
--> statement-breakpoint
-- One row per flow we know of (listed by Bird or ever synced). state: missing (Bird no longer has
-- the flow), failing (the last attempt failed), never synced, ok. lag_seconds: since the last success.
CREATE OR REPLACE VIEW "bird"."sync_health" AS
WITH known AS (
  SELECT id AS flow_id FROM bird.approval_flows
  UNION
  SELECT flow_id FROM bird.sync_state
), rejects AS (
  SELECT flow_id, count(*)::int AS n FROM bird.sync_rejects GROUP BY flow_id
)
SELECT k.flow_id,
  coalesce(f.name, k.flow_id::text) AS flow_name,
  CASE WHEN f.missing_since IS NOT NULL THEN 'missing'
       WHEN s.consecutive_failures > 0 THEN 'failing'
       WHEN s.last_success_at IS NULL THEN 'never synced'
       ELSE 'ok' END AS state,
  s.last_success_at,
  extract(epoch FROM now() - s.last_success_at)::float8 AS lag_seconds,
  coalesce(s.consecutive_failures, 0) AS consecutive_failures,
  s.last_error,
  coalesce(q.n, 0) AS rejects,
  f.missing_since,
  s.last_full_pass_at,
  coalesce(s.cursor IS NOT NULL, false) AS cursor_held,
  CASE WHEN s.lease_expires_at > now() THEN s.lease_owner END AS lease_owner
FROM known k
LEFT JOIN bird.sync_state s ON s.flow_id = k.flow_id
LEFT JOIN bird.approval_flows f ON f.id = k.flow_id
LEFT JOIN rejects q ON q.flow_id = k.flow_id;
