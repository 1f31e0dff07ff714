ALTER TABLE "merge_queue_entries" ADD COLUMN "speculated_on_sha" text;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD COLUMN "speculated_from_sha" text;