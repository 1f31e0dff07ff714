import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * The records of PRODUCT.md §3. States are PostgreSQL enums whose values are
 * the state machines' states (src/domain); the machines decide which moves
 * are legal, the database only stores the outcome.
 */

export const epicStates = ['PLANNING', 'IN_PROGRESS', 'BLOCKED', 'COMPLETED', 'CANCELLED'] as const;
export const taskStates = [
  'PENDING',
  'ASSIGNED',
  'IN_PROGRESS',
  'REVIEW',
  'COMPLETED',
  'BLOCKED',
  'FAILED',
] as const;
export const agentStates = ['IDLE', 'BUSY', 'WAITING', 'FAILED'] as const;
export const agentKinds = ['orchestrator', 'supervisor', 'worker'] as const;
export const runStatuses = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export const deliveryStatuses = ['received', 'enqueued', 'ignored', 'failed'] as const;
export const queueEntryStates = ['queued', 'merged', 'removed'] as const;

export const epicState = pgEnum('epic_state', epicStates);
export const taskState = pgEnum('task_state', taskStates);
export const agentState = pgEnum('agent_state', agentStates);
export const agentKind = pgEnum('agent_kind', agentKinds);
export const runStatus = pgEnum('run_status', runStatuses);
export const deliveryStatus = pgEnum('delivery_status', deliveryStatuses);
export const queueEntryState = pgEnum('queue_entry_state', queueEntryStates);

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
/** GitHub ids exceed 2^31; they fit a JavaScript number for the foreseeable future. */
const githubId = (name: string) => bigint(name, { mode: 'number' });

export const epics = pgTable(
  'epics',
  {
    id: serial('id').primaryKey(),
    installationId: githubId('installation_id').notNull(),
    repoId: githubId('repo_id').notNull(),
    repoOwner: text('repo_owner').notNull(),
    repoName: text('repo_name').notNull(),
    issueNumber: integer('issue_number').notNull(),
    issueId: githubId('issue_id').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    state: epicState('state').notNull().default('PLANNING'),
    baseBranch: text('base_branch'),
    /** The validated plan (tasks, acceptance criteria, dependencies) as the supervisor returned it. */
    plan: jsonb('plan'),
    planApprovedAt: timestamp('plan_approved_at', { withTimezone: true }),
    planApprovedBy: text('plan_approved_by'),
    progressCommentId: githubId('progress_comment_id'),
    /** Set by `/factory pause` or a reached budget; work is not started while set. */
    pausedAt: timestamp('paused_at', { withTimezone: true }),
    pausedReason: text('paused_reason'),
    blockedReason: text('blocked_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('epics_repo_issue_uq').on(t.repoId, t.issueNumber),
    index('epics_state_idx').on(t.state),
  ],
);

export const tasks = pgTable(
  'tasks',
  {
    id: serial('id').primaryKey(),
    epicId: integer('epic_id')
      .notNull()
      .references(() => epics.id, { onDelete: 'cascade' }),
    issueNumber: integer('issue_number').notNull(),
    issueId: githubId('issue_id').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    acceptanceCriteria: jsonb('acceptance_criteria').$type<string[]>().notNull().default([]),
    /** The planner's key for this task, which `dependsOn` of other tasks refers to. */
    planKey: text('plan_key'),
    /** Ids of tasks (of the same epic) that must be merged before this one starts. */
    dependsOn: jsonb('depends_on').$type<number[]>().notNull().default([]),
    position: integer('position').notNull().default(0),
    state: taskState('state').notNull().default('PENDING'),
    assignedAgentId: integer('assigned_agent_id'),
    branch: text('branch'),
    prNumber: integer('pr_number'),
    prUrl: text('pr_url'),
    headSha: text('head_sha'),
    attempts: integer('attempts').notNull().default(0),
    worktreePath: text('worktree_path'),
    blockedReason: text('blocked_reason'),
    failureReason: text('failure_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('tasks_epic_issue_uq').on(t.epicId, t.issueNumber),
    index('tasks_state_idx').on(t.state),
    index('tasks_pr_idx').on(t.prNumber),
  ],
);

export const agents = pgTable(
  'agents',
  {
    id: serial('id').primaryKey(),
    kind: agentKind('kind').notNull(),
    state: agentState('state').notNull().default('IDLE'),
    installationId: githubId('installation_id'),
    epicId: integer('epic_id').references(() => epics.id, { onDelete: 'set null' }),
    taskId: integer('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    /** The Agent SDK session, so a run can be resumed with new input. */
    sessionId: text('session_id'),
    currentJobId: text('current_job_id'),
    lastHeartbeatAt: timestamp('last_heartbeat_at', { withTimezone: true }),
    failureReason: text('failure_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('agents_state_idx').on(t.state), index('agents_task_idx').on(t.taskId)],
);

/** One run of an agent: the assembled prompt, the outcome and the session it used. */
export const agentRuns = pgTable(
  'agent_runs',
  {
    id: serial('id').primaryKey(),
    agentId: integer('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    purpose: text('purpose').notNull(),
    model: text('model').notNull(),
    prompt: text('prompt').notNull(),
    sessionId: text('session_id'),
    status: runStatus('status').notNull().default('running'),
    result: jsonb('result'),
    error: text('error'),
    numTurns: integer('num_turns'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('agent_runs_agent_idx').on(t.agentId)],
);

export const mail = pgTable(
  'mail',
  {
    id: serial('id').primaryKey(),
    epicId: integer('epic_id').references(() => epics.id, { onDelete: 'cascade' }),
    taskId: integer('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    fromAgentId: integer('from_agent_id').references(() => agents.id, { onDelete: 'set null' }),
    toAgentId: integer('to_agent_id').references(() => agents.id, { onDelete: 'set null' }),
    /** GitHub login of the person who wrote it, when it came from a person. */
    fromHuman: text('from_human'),
    isForHuman: boolean('is_for_human').notNull().default(false),
    subject: text('subject').notNull().default(''),
    body: text('body').notNull(),
    readAt: timestamp('read_at', { withTimezone: true }),
    githubCommentId: githubId('github_comment_id'),
    githubCommentUrl: text('github_comment_url'),
    /** For outgoing mail: makes "post this message" idempotent across retries. */
    dedupeKey: text('dedupe_key'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('mail_comment_uq').on(t.githubCommentId),
    uniqueIndex('mail_dedupe_uq').on(t.dedupeKey),
    index('mail_to_agent_idx').on(t.toAgentId, t.readAt),
    index('mail_epic_idx').on(t.epicId),
  ],
);

export const decisionLog = pgTable(
  'decision_log',
  {
    id: serial('id').primaryKey(),
    agentId: integer('agent_id').references(() => agents.id, { onDelete: 'set null' }),
    epicId: integer('epic_id').references(() => epics.id, { onDelete: 'cascade' }),
    taskId: integer('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    decision: text('decision').notNull(),
    reasoning: text('reasoning').notNull().default(''),
    context: jsonb('context').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('decision_log_epic_idx').on(t.epicId, t.createdAt)],
);

/** Every webhook delivery seen, so a redelivery (same id) changes nothing. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    deliveryId: text('delivery_id').primaryKey(),
    event: text('event').notNull(),
    action: text('action'),
    installationId: githubId('installation_id'),
    repoFullName: text('repo_full_name'),
    status: deliveryStatus('status').notNull().default('received'),
    reason: text('reason'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('webhook_deliveries_received_idx').on(t.receivedAt)],
);

/**
 * Deliveries the web process could not put on the webhook queue (Redis down
 * or erroring): kept here so GitHub's 2xx is never a lie, and moved to the
 * queue by a worker once Redis answers again, in arrival order (`id`). The
 * delivery id is unique, so a redelivery during the outage is kept once.
 */
export const webhookOutbox = pgTable('webhook_outbox', {
  id: serial('id').primaryKey(),
  deliveryId: text('delivery_id').notNull().unique(),
  event: text('event').notNull(),
  body: jsonb('body').$type<Record<string, unknown>>().notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Tokens and cost of every model run, per agent, task and epic. */
export const modelUsage = pgTable(
  'model_usage',
  {
    id: serial('id').primaryKey(),
    agentId: integer('agent_id').references(() => agents.id, { onDelete: 'set null' }),
    runId: integer('run_id').references(() => agentRuns.id, { onDelete: 'set null' }),
    epicId: integer('epic_id').references(() => epics.id, { onDelete: 'cascade' }),
    taskId: integer('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    installationId: githubId('installation_id'),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheCreationTokens: integer('cache_creation_tokens').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('model_usage_epic_idx').on(t.epicId), index('model_usage_task_idx').on(t.taskId)],
);

/** The epic's PR queue: tasks in REVIEW, in the order they will be merged. */
export const mergeQueueEntries = pgTable(
  'merge_queue_entries',
  {
    id: serial('id').primaryKey(),
    epicId: integer('epic_id')
      .notNull()
      .references(() => epics.id, { onDelete: 'cascade' }),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    prNumber: integer('pr_number').notNull(),
    position: integer('position').notNull(),
    state: queueEntryState('state').notNull().default('queued'),
    /** The head commit the supervisor last approved; a new head needs a new review. */
    approvedSha: text('approved_sha'),
    /** Rounds sent back to the worker (changes requested, failing checks, conflicts). */
    reworkRounds: integer('rework_rounds').notNull().default(0),
    /** The base commit onto which the app's own update hit a conflict: the worker resolves it. */
    conflictOnBaseSha: text('conflict_on_base_sha'),
    /**
     * Speculative CI: the app built this PR's branch on the head of the PR ahead
     * (`speculatedOnSha`), from this PR's own head `speculatedFromSha`. Until the PR
     * ahead lands, the commits between them are not this PR's to merge.
     */
    speculatedOnSha: text('speculated_on_sha'),
    speculatedFromSha: text('speculated_from_sha'),
    /** The queue's last decision about this PR, in words (status page, progress comment). */
    lastStep: text('last_step'),
    lastStepReason: text('last_step_reason'),
    lastStepAt: timestamp('last_step_at', { withTimezone: true }),
    /** Why the PR was last sent back to its worker (the `rework-task` reason), to re-ensure that job. */
    reworkReason: text('rework_reason'),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }).notNull().defaultNow(),
    mergedAt: timestamp('merged_at', { withTimezone: true }),
    mergedSha: text('merged_sha'),
  },
  (t) => [
    uniqueIndex('merge_queue_task_uq').on(t.taskId),
    index('merge_queue_epic_idx').on(t.epicId, t.state, t.position),
  ],
);

/**
 * "Mine until T": a long step (a review, an update of a queued PR) in flight on
 * a resource, held by one job in one process and renewed while it runs. A
 * holder that dies stops renewing, so the lease lapses within one lease length
 * and the health pass releases it (domain/lease.ts decides).
 */
export const leases = pgTable(
  'leases',
  {
    /** What is held, e.g. `merge-queue-entry:12`. */
    resource: text('resource').primaryKey(),
    /** What the holder does with it, e.g. `review-<sha>`. */
    step: text('step').notNull(),
    /** `queue:jobId` of the BullMQ job holding it; null outside a job. */
    holderJob: text('holder_job'),
    /** `host:pid:boot` of the holding process. */
    holderProcess: text('holder_process').notNull(),
    /** Changes at every claim, so a renewal or release by a holder that lost it matches nothing. */
    token: text('token').notNull(),
    epicId: integer('epic_id').references(() => epics.id, { onDelete: 'cascade' }),
    taskId: integer('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    takenAt: timestamp('taken_at', { withTimezone: true }).notNull().defaultNow(),
    until: timestamp('until', { withTimezone: true }).notNull(),
  },
  (t) => [index('leases_until_idx').on(t.until)],
);

/** What could not be repaired: reported once per cause, until resolved. */
export const escalations = pgTable(
  'escalations',
  {
    id: serial('id').primaryKey(),
    epicId: integer('epic_id')
      .notNull()
      .references(() => epics.id, { onDelete: 'cascade' }),
    cause: text('cause').notNull(),
    message: text('message').notNull(),
    githubCommentId: githubId('github_comment_id'),
    createdAt: createdAt(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('escalations_epic_cause_uq').on(t.epicId, t.cause)],
);

export type Epic = typeof epics.$inferSelect;
export type NewEpic = typeof epics.$inferInsert;
export type Task = typeof tasks.$inferSelect;
export type NewTask = typeof tasks.$inferInsert;
export type Agent = typeof agents.$inferSelect;
export type AgentRun = typeof agentRuns.$inferSelect;
export type Mail = typeof mail.$inferSelect;
export type NewMail = typeof mail.$inferInsert;
export type DecisionLogEntry = typeof decisionLog.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type OutboxDelivery = typeof webhookOutbox.$inferSelect;
export type ModelUsage = typeof modelUsage.$inferSelect;
export type MergeQueueEntry = typeof mergeQueueEntries.$inferSelect;
export type Lease = typeof leases.$inferSelect;
export type Escalation = typeof escalations.$inferSelect;

export type EpicState = (typeof epicStates)[number];
export type TaskState = (typeof taskStates)[number];
export type AgentState = (typeof agentStates)[number];
export type AgentKind = (typeof agentKinds)[number];
