-- Issue 20: runs a completed full listing did not show that a GET proved live (unstable paging).
ALTER TABLE "bird"."sync_passes" ADD COLUMN IF NOT EXISTS "runs_skipped_live" integer DEFAULT 0 NOT NULL;
