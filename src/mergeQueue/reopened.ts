import type { TaskState } from '../db/schema.js';

/**
 * What a person reopening a bot PR means for its task — a pure decision. A PR
 * closed without merging blocked its task and left the queue (steps/leave.ts);
 * reopening it is the way back: the task returns to REVIEW (BLOCKED → REVIEW in
 * the task state machine) and its PR re-enters the queue at the end. Anything
 * else — the PR closed again or merged since, the task moved on to another PR,
 * failed or finished — is left alone.
 */

export interface ReopenedFacts {
  /** The PR as GitHub shows it now (the webhook is only a hint). */
  pr: { number: number; state: 'open' | 'closed'; merged: boolean };
  task: { state: TaskState; prNumber: number | null };
}

export type ReopenDecision =
  /** `unblock`: move the task BLOCKED → REVIEW first; false when an earlier run already did. */
  { kind: 're-enter'; unblock: boolean; reason: string } | { kind: 'ignore'; reason: string };

export function reopenDecision({ pr, task }: ReopenedFacts): ReopenDecision {
  if (pr.merged) return { kind: 'ignore', reason: `PR #${pr.number} is merged` };
  if (pr.state !== 'open') return { kind: 'ignore', reason: `PR #${pr.number} is closed again` };
  if (task.prNumber !== pr.number) {
    return { kind: 'ignore', reason: `the task's pull request is now #${task.prNumber ?? '–'}` };
  }
  if (task.state === 'BLOCKED') {
    return { kind: 're-enter', unblock: true, reason: `PR #${pr.number} was reopened` };
  }
  // Already unblocked (a retried job, a redelivered webhook): only make sure it is queued.
  if (task.state === 'REVIEW') {
    return { kind: 're-enter', unblock: false, reason: `PR #${pr.number} was reopened` };
  }
  return { kind: 'ignore', reason: `the task is ${task.state}` };
}
