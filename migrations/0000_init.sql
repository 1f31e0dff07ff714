CREATE TYPE "public"."agent_kind" AS ENUM('orchestrator', 'supervisor', 'worker');--> statement-breakpoint
CREATE TYPE "public"."agent_state" AS ENUM('IDLE', 'BUSY', 'WAITING', 'FAILED');--> statement-breakpoint
CREATE TYPE "public"."delivery_status" AS ENUM('received', 'enqueued', 'ignored', 'failed');--> statement-breakpoint
CREATE TYPE "public"."epic_state" AS ENUM('PLANNING', 'IN_PROGRESS', 'BLOCKED', 'COMPLETED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "public"."queue_entry_state" AS ENUM('queued', 'merged', 'removed');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('running', 'succeeded', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."task_state" AS ENUM('PENDING', 'ASSIGNED', 'IN_PROGRESS', 'REVIEW', 'COMPLETED', 'BLOCKED', 'FAILED');--> statement-breakpoint
CREATE TABLE "agent_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"agent_id" integer NOT NULL,
	"purpose" text NOT NULL,
	"model" text NOT NULL,
	"prompt" text NOT NULL,
	"session_id" text,
	"status" "run_status" DEFAULT 'running' NOT NULL,
	"result" jsonb,
	"error" text,
	"num_turns" integer,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" "agent_kind" NOT NULL,
	"state" "agent_state" DEFAULT 'IDLE' NOT NULL,
	"installation_id" bigint,
	"epic_id" integer,
	"task_id" integer,
	"session_id" text,
	"current_job_id" text,
	"last_heartbeat_at" timestamp with time zone,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decision_log" (
	"id" serial PRIMARY KEY NOT NULL,
	"agent_id" integer,
	"epic_id" integer,
	"task_id" integer,
	"decision" text NOT NULL,
	"reasoning" text DEFAULT '' NOT NULL,
	"context" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "epics" (
	"id" serial PRIMARY KEY NOT NULL,
	"installation_id" bigint NOT NULL,
	"repo_id" bigint NOT NULL,
	"repo_owner" text NOT NULL,
	"repo_name" text NOT NULL,
	"issue_number" integer NOT NULL,
	"issue_id" bigint NOT NULL,
	"title" text NOT NULL,
	"body" text DEFAULT '' NOT NULL,
	"state" "epic_state" DEFAULT 'PLANNING' NOT NULL,
	"base_branch" text,
	"plan" jsonb,
	"plan_approved_at" timestamp with time zone,
	"plan_approved_by" text,
	"progress_comment_id" bigint,
	"paused_at" timestamp with time zone,
	"paused_reason" text,
	"blocked_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "escalations" (
	"id" serial PRIMARY KEY NOT NULL,
	"epic_id" integer NOT NULL,
	"cause" text NOT NULL,
	"message" text NOT NULL,
	"github_comment_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "mail" (
	"id" serial PRIMARY KEY NOT NULL,
	"epic_id" integer,
	"task_id" integer,
	"from_agent_id" integer,
	"to_agent_id" integer,
	"from_human" text,
	"is_for_human" boolean DEFAULT false NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"body" text NOT NULL,
	"read_at" timestamp with time zone,
	"github_comment_id" bigint,
	"github_comment_url" text,
	"dedupe_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "merge_queue_entries" (
	"id" serial PRIMARY KEY NOT NULL,
	"epic_id" integer NOT NULL,
	"task_id" integer NOT NULL,
	"pr_number" integer NOT NULL,
	"position" integer NOT NULL,
	"state" "queue_entry_state" DEFAULT 'queued' NOT NULL,
	"approved_sha" text,
	"rework_rounds" integer DEFAULT 0 NOT NULL,
	"enqueued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"merged_at" timestamp with time zone,
	"merged_sha" text
);
--> statement-breakpoint
CREATE TABLE "model_usage" (
	"id" serial PRIMARY KEY NOT NULL,
	"agent_id" integer,
	"run_id" integer,
	"epic_id" integer,
	"task_id" integer,
	"installation_id" bigint,
	"model" text NOT NULL,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cache_read_tokens" integer DEFAULT 0 NOT NULL,
	"cache_creation_tokens" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" serial PRIMARY KEY NOT NULL,
	"epic_id" integer NOT NULL,
	"issue_number" integer NOT NULL,
	"issue_id" bigint NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"acceptance_criteria" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"plan_key" text,
	"depends_on" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"state" "task_state" DEFAULT 'PENDING' NOT NULL,
	"assigned_agent_id" integer,
	"branch" text,
	"pr_number" integer,
	"pr_url" text,
	"head_sha" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"worktree_path" text,
	"blocked_reason" text,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"delivery_id" text PRIMARY KEY NOT NULL,
	"event" text NOT NULL,
	"action" text,
	"installation_id" bigint,
	"repo_full_name" text,
	"status" "delivery_status" DEFAULT 'received' NOT NULL,
	"reason" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_runs" ADD CONSTRAINT "agent_runs_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_epic_id_epics_id_fk" FOREIGN KEY ("epic_id") REFERENCES "public"."epics"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decision_log" ADD CONSTRAINT "decision_log_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decision_log" ADD CONSTRAINT "decision_log_epic_id_epics_id_fk" FOREIGN KEY ("epic_id") REFERENCES "public"."epics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decision_log" ADD CONSTRAINT "decision_log_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "escalations" ADD CONSTRAINT "escalations_epic_id_epics_id_fk" FOREIGN KEY ("epic_id") REFERENCES "public"."epics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mail" ADD CONSTRAINT "mail_epic_id_epics_id_fk" FOREIGN KEY ("epic_id") REFERENCES "public"."epics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mail" ADD CONSTRAINT "mail_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mail" ADD CONSTRAINT "mail_from_agent_id_agents_id_fk" FOREIGN KEY ("from_agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mail" ADD CONSTRAINT "mail_to_agent_id_agents_id_fk" FOREIGN KEY ("to_agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD CONSTRAINT "merge_queue_entries_epic_id_epics_id_fk" FOREIGN KEY ("epic_id") REFERENCES "public"."epics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merge_queue_entries" ADD CONSTRAINT "merge_queue_entries_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_usage" ADD CONSTRAINT "model_usage_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_usage" ADD CONSTRAINT "model_usage_run_id_agent_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."agent_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_usage" ADD CONSTRAINT "model_usage_epic_id_epics_id_fk" FOREIGN KEY ("epic_id") REFERENCES "public"."epics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_usage" ADD CONSTRAINT "model_usage_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_epic_id_epics_id_fk" FOREIGN KEY ("epic_id") REFERENCES "public"."epics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_runs_agent_idx" ON "agent_runs" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "agents_state_idx" ON "agents" USING btree ("state");--> statement-breakpoint
CREATE INDEX "agents_task_idx" ON "agents" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "decision_log_epic_idx" ON "decision_log" USING btree ("epic_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "epics_repo_issue_uq" ON "epics" USING btree ("repo_id","issue_number");--> statement-breakpoint
CREATE INDEX "epics_state_idx" ON "epics" USING btree ("state");--> statement-breakpoint
CREATE UNIQUE INDEX "escalations_epic_cause_uq" ON "escalations" USING btree ("epic_id","cause");--> statement-breakpoint
CREATE UNIQUE INDEX "mail_comment_uq" ON "mail" USING btree ("github_comment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "mail_dedupe_uq" ON "mail" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "mail_to_agent_idx" ON "mail" USING btree ("to_agent_id","read_at");--> statement-breakpoint
CREATE INDEX "mail_epic_idx" ON "mail" USING btree ("epic_id");--> statement-breakpoint
CREATE UNIQUE INDEX "merge_queue_task_uq" ON "merge_queue_entries" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "merge_queue_epic_idx" ON "merge_queue_entries" USING btree ("epic_id","state","position");--> statement-breakpoint
CREATE INDEX "model_usage_epic_idx" ON "model_usage" USING btree ("epic_id");--> statement-breakpoint
CREATE INDEX "model_usage_task_idx" ON "model_usage" USING btree ("task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_epic_issue_uq" ON "tasks" USING btree ("epic_id","issue_number");--> statement-breakpoint
CREATE INDEX "tasks_state_idx" ON "tasks" USING btree ("state");--> statement-breakpoint
CREATE INDEX "tasks_pr_idx" ON "tasks" USING btree ("pr_number");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_received_idx" ON "webhook_deliveries" USING btree ("received_at");