ALTER TABLE "bird"."sync_seen" ADD COLUMN "side" text;--> statement-breakpoint
ALTER TABLE "bird"."sync_state" ADD COLUMN "reverse_cursor" text;--> statement-breakpoint
ALTER TABLE "bird"."sync_state" ADD COLUMN "reverse_works" boolean;