import type { ProbotOctokit } from 'probot';
import type { RepoConfig } from '../../config/repoConfig.js';
import type { FactoryDeps } from '../../deps.js';
import { findEpicSupervisorId } from '../../db/agents.js';
import { recordDecision } from '../../db/decisions.js';
import type { Epic, MergeQueueEntry, Task } from '../../db/schema.js';
import { StaleStateError } from '../../db/staleState.js';
import { transitionTask } from '../../db/tasks.js';
import { setStateLabel, taskStateLabel } from '../../github/index.js';
import type { TaskState } from '../../db/schema.js';
import { jobIds } from '../../queues/jobs.js';
import type { MergeQueueGit, RepoTarget } from '../ports.js';
import type { HeadRead } from '../readHeadFacts.js';
import type { LeaseHolder } from '../../domain/lease.js';

/** What every step of the merge queue works with. */

export interface MergeQueueOptions {
  /** With `requiredChecks: all`, how long a commit without any check is "CI not started yet". */
  noChecksGraceMs: number;
  /** How soon to look again while GitHub computes mergeability. */
  pollMs: number;
  /** How many times to look again before saying so on the status page and waiting for an event. */
  maxPolls: number;
  /**
   * How long a review or update holds its entry without renewing it: renewed
   * while the step runs, so this is how soon a crashed holder's step is taken
   * over (HEARTBEAT_TIMEOUT_SECONDS by default, see processors.ts).
   */
  leaseMs: number;
  /** How many PRs behind the head are reviewed ahead of their turn (0: only the head is reviewed). */
  reviewAhead: number;
}

export const defaultMergeQueueOptions: MergeQueueOptions = {
  noChecksGraceMs: 2 * 60_000,
  pollMs: 5_000,
  maxPolls: 24,
  leaseMs: 5 * 60_000,
  reviewAhead: 2,
};

export type MergeQueueDeps = Pick<FactoryDeps, 'db' | 'queues' | 'log' | 'agents' | 'env'> & {
  git: MergeQueueGit;
  options: MergeQueueOptions;
};

export interface StepContext {
  deps: MergeQueueDeps;
  octokit: ProbotOctokit;
  target: RepoTarget;
  botLogin: string;
  epic: Epic;
  entry: MergeQueueEntry;
  task: Task;
  config: RepoConfig;
  read: HeadRead;
  /** How many times this wake-up has already polled (delayed re-reads). */
  poll: number;
  /** The job (and process) running this step: what the entry's lease names as its holder. */
  holder: LeaseHolder;
}

/**
 * Enqueues the next look at the epic's queue. The job id names what changed
 * (a new head, a merge, a conflict…), so a retry of this step adds nothing
 * twice while each real change gets its own look.
 */
export async function wakeQueue(
  deps: Pick<MergeQueueDeps, 'queues'>,
  target: RepoTarget & { epicId: number },
  because: (string | number)[],
  options: { delayMs?: number; poll?: number } = {},
): Promise<void> {
  await deps.queues.enqueue(
    'advance-merge-queue',
    {
      epicId: target.epicId,
      installationId: target.installationId,
      owner: target.owner,
      repo: target.repo,
      ...(options.poll !== undefined ? { poll: options.poll } : {}),
    },
    {
      jobId: jobIds.forEntity('advance-merge-queue', target.epicId, ...because),
      delayMs: options.delayMs,
    },
  );
}

export function wakeAfter(
  ctx: StepContext,
  because: (string | number)[],
  delayMs?: number,
  poll?: number,
) {
  return wakeQueue(ctx.deps, { ...ctx.target, epicId: ctx.epic.id }, because, { delayMs, poll });
}

/**
 * The decision log: what the supervisor's queue did and why (status page,
 * debugging), under the supervisor's name so its page lists its reviews.
 */
export async function logDecision(
  ctx: Pick<StepContext, 'deps' | 'epic' | 'task'>,
  decision: string,
  reasoning: string,
  context: Record<string, unknown> = {},
): Promise<void> {
  await recordDecision(ctx.deps.db, {
    agentId: await findEpicSupervisorId(ctx.deps.db, ctx.epic.id),
    epicId: ctx.epic.id,
    taskId: ctx.task.id,
    decision: `merge-queue ${decision}`,
    reasoning,
    context,
  });
}

/**
 * Moves the head's task (guarded on the state it was read in) and shows the
 * new state as its label. False when another process moved it first.
 */
export async function moveHeadTask(
  ctx: Pick<StepContext, 'deps' | 'task' | 'octokit' | 'target' | 'config'>,
  from: TaskState,
  to: TaskState,
  reason?: string,
): Promise<boolean> {
  try {
    await transitionTask(ctx.deps.db, ctx.task.id, to, { from, reason });
  } catch (error) {
    if (error instanceof StaleStateError) return false;
    throw error;
  }
  await setStateLabel(ctx.octokit, {
    owner: ctx.target.owner,
    repo: ctx.target.repo,
    issueNumber: ctx.task.issueNumber,
    labels: ctx.config.labels,
    state: taskStateLabel(to),
  });
  return true;
}

export const shortSha = (sha: string) => sha.slice(0, 7);
