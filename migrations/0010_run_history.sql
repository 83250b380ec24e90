CREATE TABLE "bird"."approval_run_history" (
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
ALTER TABLE "bird"."approval_runs" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN "changed_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN "observed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "bird"."approval_runs" ADD COLUMN "first_read_sent_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "approval_run_history_superseded_idx" ON "bird"."approval_run_history" USING btree ("superseded_at");