import { closedWithoutMergeReason } from '../../domain/closedPullRequest.js';
import { taskStateMachine } from '../../domain/taskStateMachine.js';
import { ensureComment } from '../../github/index.js';
import { leaveQueue } from '../entries.js';
import type { NextStep } from '../nextStep.js';
import { logDecision, moveHeadTask, wakeAfter, type StepContext } from './context.js';

/** The head PR leaves the queue without being merged; the queue moves on to the next one. */

export async function blockClosed(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'block-closed' }>,
): Promise<void> {
  const { deps, entry, task } = ctx;
  const reason = closedWithoutMergeReason(entry.prNumber);
  if (taskStateMachine.canTransition(task.state, 'BLOCKED')) {
    await moveHeadTask(ctx, task.state, 'BLOCKED', reason);
  }
  await leaveQueue(deps.db, entry.id, { state: 'removed' });
  await ensureComment(ctx.octokit, {
    ...repoOf(ctx),
    issueNumber: task.issueNumber,
    key: `merge-queue:closed-${entry.prNumber}`,
    body: `⛔ ${reason}, so this task is **blocked** and the epic's queue moved on.\n\nReopen the pull request to put it back in the queue, or comment \`/factory retry\` to start the task again.`,
  });
  await logDecision(ctx, 'block-closed', step.reason, { pr: entry.prNumber });
  await wakeAfter(ctx, ['left', entry.id]);
}

export async function failTask(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'fail' }>,
): Promise<void> {
  const { deps, entry, task } = ctx;
  if (taskStateMachine.canTransition(task.state, 'FAILED')) {
    await moveHeadTask(ctx, task.state, 'FAILED', step.reason);
  }
  await leaveQueue(deps.db, entry.id, { state: 'removed' });
  await ensureComment(ctx.octokit, {
    ...repoOf(ctx),
    issueNumber: task.issueNumber,
    key: `merge-queue:failed-${entry.prNumber}-${entry.reworkRounds}`,
    body: `❌ PR #${entry.prNumber} left the merge queue and this task **failed**: ${step.reason}.\n\nComment \`/factory retry\` to try again.`,
  });
  await logDecision(ctx, 'fail', step.reason, { pr: entry.prNumber });
  await wakeAfter(ctx, ['left', entry.id]);
}

export async function removeEntry(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'remove' }>,
): Promise<void> {
  await leaveQueue(ctx.deps.db, ctx.entry.id, { state: 'removed' });
  await logDecision(ctx, 'remove', step.reason, { pr: ctx.entry.prNumber });
  await wakeAfter(ctx, ['left', ctx.entry.id]);
}

function repoOf(ctx: StepContext) {
  return { owner: ctx.target.owner, repo: ctx.target.repo };
}
