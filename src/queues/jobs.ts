import { z } from 'zod';

/**
 * Every kind of asynchronous work, the queue it runs on and the shape of its
 * payload. Payloads carry ids only — never secrets, never bodies the database
 * already holds — so a job is cheap to retry and safe to log. The one
 * exception is `receive-webhook`: until a delivery is taken in, its body is
 * held nowhere else.
 */

const id = z.number().int().positive();
const githubRef = {
  installationId: id,
  owner: z.string().min(1),
  repo: z.string().min(1),
};

export const queueNames = [
  'webhook',
  'epic',
  'task',
  'merge-queue',
  'mail',
  'orchestrator',
] as const;
export type QueueName = (typeof queueNames)[number];

export const jobDefinitions = {
  /**
   * A webhook delivery whose signature the web process verified: taken in
   * (recorded, and turned into the jobs below) by a worker, so GitHub gets its
   * answer without waiting for the database (see intake/webhookQueue.ts).
   */
  'receive-webhook': {
    queue: 'webhook',
    payload: z.object({
      deliveryId: z.string().min(1),
      /** The X-GitHub-Event header: `issues`, `pull_request`, … */
      event: z.string().min(1),
      body: z.record(z.string(), z.unknown()),
    }),
  },
  /**
   * Intake's follow-up to the epic label: labels ensured, a reaction and the
   * planning label as a visible acknowledgement, and the repository config
   * checked — an invalid one is reported on the issue and parks the epic.
   */
  'acknowledge-epic': { queue: 'epic', payload: z.object({ epicId: id, ...githubRef }) },
  /** Supervisor: explore the repository read-only and plan the epic. */
  'plan-epic': { queue: 'epic', payload: z.object({ epicId: id, ...githubRef }) },
  /** Supervisor: turn an approved plan into sub-issues and tasks. */
  'create-sub-issues': { queue: 'epic', payload: z.object({ epicId: id, ...githubRef }) },
  /** Supervisor: the epic label was removed or `/factory cancel` was said on the epic. */
  'cancel-epic': {
    queue: 'epic',
    payload: z.object({ epicId: id, ...githubRef, reason: z.string() }),
  },
  /** Supervisor: every task merged — close out the epic. */
  'complete-epic': { queue: 'epic', payload: z.object({ epicId: id, ...githubRef }) },
  /** Refresh the epic's single progress comment and labels. */
  'update-progress': { queue: 'epic', payload: z.object({ epicId: id, ...githubRef }) },

  /** Worker: implement a task (a new attempt, or the same attempt resumed). */
  'implement-task': {
    queue: 'task',
    payload: z.object({
      taskId: id,
      ...githubRef,
      attempt: z.number().int().min(1),
      /**
       * Set when the orchestrator re-queues a crashed attempt: the dead agent's SDK session.
       * A hint for the record: the worker decides whether to resume from the run records and
       * the session's transcript (worker/sessionStart.ts), whichever job starts the attempt.
       */
      resumeSessionId: z.string().min(1).optional(),
    }),
  },
  /** Worker: address review feedback, failing checks or a conflict on the task's branch. */
  'rework-task': {
    queue: 'task',
    payload: z.object({
      taskId: id,
      ...githubRef,
      reason: z.enum(['changes-requested', 'checks-failed', 'conflict', 'mail']),
      round: z.number().int().min(1),
    }),
  },

  /** Supervisor: look at the epic's head PR and take the next step (review, update, merge). */
  'advance-merge-queue': {
    queue: 'merge-queue',
    payload: z.object({
      epicId: id,
      ...githubRef,
      /** Delayed re-reads so far (GitHub still computing mergeability, CI not started). */
      poll: z.number().int().min(0).optional(),
      /** A person reopened this PR: its blocked task re-enters the queue first. */
      reopened: id.optional(),
    }),
  },

  /** Supervisor: review a PR waiting behind the head while the PRs ahead are checked and merged. */
  'review-ahead': {
    queue: 'merge-queue',
    payload: z.object({ epicId: id, entryId: id, ...githubRef }),
  },

  /** A comment (issue, PR or review) that may be a command or mail for an agent. */
  'handle-comment': {
    queue: 'mail',
    payload: z.object({
      ...githubRef,
      repoId: id,
      deliveryId: z.string().min(1),
      issueNumber: id,
      commentId: id,
      commentKind: z.enum(['issue', 'review', 'review-comment']),
    }),
  },

  /** Orchestrator: agents without heartbeat, stalled jobs, crash loops. */
  'health-check': { queue: 'orchestrator', payload: z.object({}) },
  /** Orchestrator: compare active epics with GitHub and repair what no webhook reported. */
  reconcile: { queue: 'orchestrator', payload: z.object({ epicId: id.optional() }) },
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType }>;

export type JobName = keyof typeof jobDefinitions;
export type JobPayload<N extends JobName> = z.infer<(typeof jobDefinitions)[N]['payload']>;

export function queueOf(name: JobName): QueueName {
  return jobDefinitions[name].queue;
}

export class InvalidJobPayloadError extends Error {
  override name = 'InvalidJobPayloadError';
}

export function parseJobPayload<N extends JobName>(name: N, payload: unknown): JobPayload<N> {
  const result = jobDefinitions[name].payload.safeParse(payload);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.join('.') || '(payload)'}: ${i.message}`,
    );
    throw new InvalidJobPayloadError(`Job ${name} has an invalid payload — ${problems.join('; ')}`);
  }
  return result.data as JobPayload<N>;
}

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobDefinitions, name);
}

/**
 * BullMQ ignores a job whose id is already in the queue; these ids make that
 * the idempotency rule. They come from delivery ids or entity ids, never from
 * the clock. (BullMQ refuses ':' in custom ids, hence '-'.)
 */
export const jobIds = {
  fromDelivery: (name: JobName, deliveryId: string) => `${name}-d${deliveryId}`,
  forEntity: (name: JobName, ...parts: (string | number)[]) => [name, ...parts].join('-'),
};
