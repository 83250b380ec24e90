CREATE TABLE IF NOT EXISTS "bird"."request_budget" (
	"organization_id" text NOT NULL,
	"api_origin" text NOT NULL,
	"next_slot_at" timestamp with time zone NOT NULL,
	"blocked_until" timestamp with time zone,
	"claimants" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "request_budget_organization_id_api_origin_pk" PRIMARY KEY("organization_id","api_origin")
);
--> statement-breakpoint
ALTER TABLE "bird"."sync_state" ADD COLUMN IF NOT EXISTS "organization_id" text;--> statement-breakpoint
-- Issue 23: which organization each known flow belongs to. Bird's own answer first (the flow's
-- metadata, else one of its runs), lower case when it is a uuid as BIRD_ORGANIZATION_ID is compared.
UPDATE "bird"."sync_state" s SET "organization_id" = (
  SELECT CASE WHEN o.id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN lower(o.id) ELSE o.id END
  FROM (SELECT coalesce(
    (SELECT f.organization_id FROM "bird"."approval_flows" f WHERE f.id = s.flow_id AND f.organization_id <> ''),
    (SELECT r.organization_id::text FROM "bird"."approval_runs" r
     WHERE r.approval_flow_id = s.flow_id AND r.organization_id IS NOT NULL LIMIT 1)) AS id) o)
WHERE s."organization_id" IS NULL;
--> statement-breakpoint
-- A database that held one organization: the flows nothing names (no metadata, no runs) are its too.
-- With several, they stay NULL (not known): no organization's discovery marks them missing.
UPDATE "bird"."sync_state" SET "organization_id" = (SELECT min("organization_id") FROM "bird"."sync_state")
WHERE "organization_id" IS NULL
  AND (SELECT count(DISTINCT "organization_id") FROM "bird"."sync_state") = 1;
--> statement-breakpoint
-- `report reviewers --org ID`: the figure filtered to one organization's flows before it is summed.
-- The three-argument function (and its view) is this one without that filter: one definition.
CREATE OR REPLACE FUNCTION "bird"."reviewer_workload_for"(p_flow_id uuid, p_since timestamptz, p_until timestamptz, p_organization_id text)
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
    AND (p_organization_id IS NULL
         OR d.flow_id IN (SELECT s.flow_id FROM bird.sync_state s WHERE s.organization_id = p_organization_id))
  GROUP BY d.reviewer_type, d.reviewer_id
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."reviewer_workload_for"(p_flow_id uuid DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS TABLE (reviewer_type text, reviewer_id text, decisions int, approved int, rejected int, approval_rate float8, flows int)
LANGUAGE sql STABLE AS $$
  SELECT * FROM bird.reviewer_workload_for(p_flow_id, p_since, p_until, NULL::text)
$$;
