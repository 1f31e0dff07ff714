CREATE TABLE "leases" (
	"resource" text PRIMARY KEY NOT NULL,
	"step" text NOT NULL,
	"holder_job" text,
	"holder_process" text NOT NULL,
	"token" text NOT NULL,
	"epic_id" integer,
	"task_id" integer,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL,
	"until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "leases" ADD CONSTRAINT "leases_epic_id_epics_id_fk" FOREIGN KEY ("epic_id") REFERENCES "public"."epics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leases" ADD CONSTRAINT "leases_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "leases_until_idx" ON "leases" USING btree ("until");--> statement-breakpoint
ALTER TABLE "merge_queue_entries" DROP COLUMN "lease_key";--> statement-breakpoint
ALTER TABLE "merge_queue_entries" DROP COLUMN "lease_until";