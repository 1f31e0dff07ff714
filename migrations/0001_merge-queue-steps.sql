ALTER TABLE "merge_queue_entries" ADD COLUMN "conflict_on_base_sha" text;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "last_step" text;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "last_step_reason" text;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "last_step_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "rework_reason" text;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "lease_key" text;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "lease_until" timestamp with time zone;