CREATE TABLE "bird"."page_tokens" (
	"flow_id" uuid NOT NULL,
	"token" text NOT NULL,
	"reverse" boolean DEFAULT false NOT NULL,
	"oldest_created_at" timestamp with time zone NOT NULL,
	"newest_created_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "page_tokens_flow_id_token_pk" PRIMARY KEY("flow_id","token")
);
--> statement-breakpoint
ALTER TABLE "bird"."sync_state" ADD COLUMN "token_reuses" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "bird"."sync_state" ADD COLUMN "token_refusals" integer DEFAULT 0 NOT NULL;