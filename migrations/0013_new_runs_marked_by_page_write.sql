-- Runs inserted by the page statement mark their report segments themselves (its step `marked`, from
-- the rows it inserted): the statement-level INSERT trigger of 0012 made PostgreSQL copy every new row
-- into a transition table, about 1 ms of a 100-run page's 10 ms in a backfill (issue 26: the rollups
-- may cost a backfill at most 10 %). Updates and deletions are still marked by the triggers of 0012,
-- whatever writes them. Rows inserted by hand (a fixture, a copy from elsewhere) are not marked: run
-- `select bird.mark_all_report_segments()` after such an insert, or the rollups may miss them.
DROP TRIGGER IF EXISTS "approval_runs_mark_inserted" ON "bird"."approval_runs";--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bird"."mark_all_report_segments"() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  WITH marked AS (
    INSERT INTO bird.report_segments_dirty (flow_id, month)
    SELECT DISTINCT approval_flow_id, bird.utc_month(created_at) FROM bird.approval_runs
    ON CONFLICT (flow_id, month) DO UPDATE SET marked_at = now()
    RETURNING 1)
  SELECT count(*) FROM marked
$$;
