CREATE SCHEMA "bird";
--> statement-breakpoint
CREATE TABLE "bird"."approval_flows" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" text,
	"workspace_id" text,
	"owner_id" text,
	"name" text,
	"description" text,
	"object_type" text,
	"object_action" text,
	"steps" jsonb,
	"tags" jsonb,
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"missing_since" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "bird"."approval_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"approval_flow_id" uuid NOT NULL,
	"organization_id" uuid,
	"workspace_id" uuid,
	"status" text NOT NULL,
	"active_step" double precision,
	"invoker_type" text,
	"invoker_id" uuid,
	"object" jsonb,
	"previous_object" jsonb,
	"tags" jsonb NOT NULL,
	"results" jsonb NOT NULL,
	"extra" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"first_synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "bird"."sync_passes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"flow_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"owner" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"outcome" text,
	"from_first_page" boolean NOT NULL,
	"resumed_from" bigint,
	"pages" integer DEFAULT 0 NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"runs_seen" integer DEFAULT 0 NOT NULL,
	"runs_inserted" integer DEFAULT 0 NOT NULL,
	"runs_updated" integer DEFAULT 0 NOT NULL,
	"runs_unchanged" integer DEFAULT 0 NOT NULL,
	"runs_rejected" integer DEFAULT 0 NOT NULL,
	"runs_deleted" integer DEFAULT 0 NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "bird"."sync_rejects" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"flow_id" uuid NOT NULL,
	"run_id" text,
	"fingerprint" text NOT NULL,
	"reason" text NOT NULL,
	"payload" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"times_seen" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bird"."sync_seen" (
	"flow_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	CONSTRAINT "sync_seen_flow_id_run_id_pk" PRIMARY KEY("flow_id","run_id")
);
--> statement-breakpoint
CREATE TABLE "bird"."sync_state" (
	"flow_id" uuid PRIMARY KEY NOT NULL,
	"pass_id" bigint,
	"pass_kind" text,
	"pass_started_at" timestamp with time zone,
	"cursor" text,
	"list_order" text,
	"high_water_mark" timestamp with time zone,
	"last_full_pass_at" timestamp with time zone,
	"last_incremental_pass_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "approval_runs_flow_created_idx" ON "bird"."approval_runs" USING btree ("approval_flow_id","created_at");--> statement-breakpoint
CREATE INDEX "approval_runs_status_idx" ON "bird"."approval_runs" USING btree ("status","approval_flow_id");--> statement-breakpoint
CREATE INDEX "approval_runs_updated_idx" ON "bird"."approval_runs" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "approval_runs_pending_idx" ON "bird"."approval_runs" USING btree ("approval_flow_id","created_at") WHERE status = 'pending' AND deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX "sync_passes_flow_started_idx" ON "bird"."sync_passes" USING btree ("flow_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_rejects_flow_fingerprint_key" ON "bird"."sync_rejects" USING btree ("flow_id","fingerprint");