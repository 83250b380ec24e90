CREATE TABLE "bird"."run_reads" (
	"run_id" uuid PRIMARY KEY NOT NULL,
	"last_read_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bird"."sync_passes" ADD COLUMN "runs_rechecked" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "bird"."sync_state" ADD COLUMN "recheck_debt" integer DEFAULT 0 NOT NULL;