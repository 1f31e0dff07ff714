import type { TaskState } from '../../../db/schema.js';

export interface OrphanedTask {
  state: TaskState;
  /** Attempts started so far, as recorded on the task. */
  attempts: number;
  /**
   * The rework round its PR was sent back for (conflict, changes requested,
   * failing checks), when the task is IN_PROGRESS for one; 0 or absent otherwise.
   */
  reworkRound?: number;
}

export interface RecoveryInput {
  /** The task the dead agent worked on; null when it had none. */
  task: OrphanedTask | null;
  /** The attempt number of the dead agent's job, when the job could still be read. */
  jobAttempt?: number;
  /** The dead agent's Agent SDK session, so the next attempt can pick up its work. */
  sessionId?: string | null;
  maxAttempts: number;
  /** Why the agent is considered dead, in words. */
  cause: string;
}

export type RecoveryDecision =
  | { kind: 'requeue'; attempt: number; resumeSessionId?: string; reason: string }
  | { kind: 'fail'; reason: string }
  /** A task in review: its PR exists, so the merge queue decides what happens next. */
  | { kind: 'hand-to-merge-queue'; reason: string }
  | { kind: 'release-agent-only'; reason: string };

/**
 * What becomes of the work of an agent found dead. A task whose PR is in
 * review, or back with its worker for a rework round, is the merge queue's to
 * move on. A task that was being implemented is re-queued as the next attempt — resuming the dead agent's
 * session so work already done in the worktree is not redone — until
 * `maxAttempts` attempts have been used; then it fails with the reason.
 */
export function decideRecovery(input: RecoveryInput): RecoveryDecision {
  const { task } = input;
  if (!task) return { kind: 'release-agent-only', reason: `agent had no task; ${input.cause}` };
  if (task.state === 'REVIEW') {
    return { kind: 'hand-to-merge-queue', reason: `worker died during review; ${input.cause}` };
  }
  // Its PR waits in the queue for this round: a fresh implementation attempt would not do the
  // round's work, so the queue gives the round to a worker again.
  if (task.state === 'IN_PROGRESS' && (task.reworkRound ?? 0) > 0) {
    return {
      kind: 'hand-to-merge-queue',
      reason: `worker died during rework round ${task.reworkRound}; the merge queue gives the round back; ${input.cause}`,
    };
  }
  if (task.state !== 'ASSIGNED' && task.state !== 'IN_PROGRESS') {
    return {
      kind: 'release-agent-only',
      reason: `task is ${task.state}, nothing to recover; ${input.cause}`,
    };
  }
  const used = Math.max(task.attempts, input.jobAttempt ?? 0, 1);
  if (used >= input.maxAttempts) {
    return {
      kind: 'fail',
      reason: `attempt ${used} of ${input.maxAttempts} ended because the agent died (${input.cause}); no attempts left`,
    };
  }
  const attempt = used + 1;
  const resume = input.sessionId ?? undefined;
  return {
    kind: 'requeue',
    attempt,
    ...(resume ? { resumeSessionId: resume } : {}),
    reason: `attempt ${used} of ${input.maxAttempts} ended because the agent died (${input.cause}); starting attempt ${attempt}${resume ? ' resuming its session' : ''}`,
  };
}
