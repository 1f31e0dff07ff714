import { eq } from 'drizzle-orm';
import { crashPoint } from '../../crashPoint.js';
import { mergeQueueEntries, tasks } from '../../db/schema.js';
import { recordConflict } from '../entries.js';
import type { NextStep } from '../nextStep.js';
import type { BranchTarget } from '../ports.js';
import { logDecision, shortSha, wakeAfter, type StepContext } from './context.js';

/**
 * Brings the head PR up to date with its base with git, in the task's
 * worktree, without an agent. A conflict is only recorded: the queue's next
 * look sends it to the worker, which is the one case an agent is needed.
 */
export async function updateBranch(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'update-branch' }>,
): Promise<void> {
  const { deps, entry, read } = ctx;
  // A branch built on the PR ahead is rebuilt from the PR's own commits, not from that PR's.
  const outcome = await deps.git.updateBranch(
    branchTarget(ctx),
    step.method,
    read.headSha,
    step.fromSha ? { from: step.fromSha } : {},
  );
  switch (outcome.outcome) {
    case 'updated':
    case 'up-to-date':
      crashPoint(deps.env, 'update-branch');
      await recordConflict(deps.db, entry.id, null);
      await recordNewHead(ctx, outcome.headSha);
      await logDecision(
        ctx,
        `update-branch: ${step.method}`,
        `${read.headBranch} brought onto ${read.baseBranch} at ${shortSha(step.baseSha)} by git, without an agent`,
        { pr: entry.prNumber, from: read.headSha, to: outcome.headSha, outcome: outcome.outcome },
      );
      await wakeAfter(ctx, ['updated', entry.id, outcome.headSha]);
      return;
    case 'conflict':
      await recordConflict(deps.db, entry.id, step.baseSha);
      await logDecision(
        ctx,
        'update-branch: conflict',
        `git could not ${step.method} ${read.headBranch} onto ${shortSha(step.baseSha)} cleanly`,
        { pr: entry.prNumber, files: outcome.files },
      );
      await wakeAfter(ctx, ['conflict', entry.id, step.baseSha]);
      return;
    case 'head-moved':
      await wakeAfter(ctx, ['head-moved', entry.id, outcome.headSha]);
      return;
  }
}

/**
 * The PR ahead, which the app built this branch on, did not land as built:
 * the branch goes back to the PR's own head, so its commits never reach the
 * base with this PR. The next look updates it onto the base like any PR.
 */
export async function dropSpeculation(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'drop-speculation' }>,
): Promise<void> {
  const { deps, entry, read } = ctx;
  const outcome = await deps.git.resetBranch(branchTarget(ctx), step.fromSha, read.headSha);
  if (outcome.outcome !== 'updated' && outcome.outcome !== 'up-to-date') {
    await wakeAfter(ctx, ['head-moved', entry.id, 'headSha' in outcome ? outcome.headSha : '']);
    return;
  }
  await recordNewHead(ctx, outcome.headSha);
  await logDecision(ctx, 'drop-speculation', step.reason, {
    pr: entry.prNumber,
    from: read.headSha,
    to: outcome.headSha,
  });
  await wakeAfter(ctx, ['unspeculated', entry.id, outcome.headSha]);
}

/** The app pushed `headSha`, built on the base: no PR ahead's commits in it any more. */
async function recordNewHead(ctx: Pick<StepContext, 'deps' | 'entry' | 'task'>, headSha: string) {
  await ctx.deps.db
    .update(mergeQueueEntries)
    .set({ speculatedOnSha: null, speculatedFromSha: null })
    .where(eq(mergeQueueEntries.id, ctx.entry.id));
  await ctx.deps.db.update(tasks).set({ headSha }).where(eq(tasks.id, ctx.task.id));
}

export function branchTarget(
  ctx: Pick<StepContext, 'target' | 'epic' | 'task' | 'read' | 'config'>,
): BranchTarget {
  return {
    ...ctx.target,
    epicIssue: ctx.epic.issueNumber,
    taskIssue: ctx.task.issueNumber,
    branch: ctx.read.headBranch,
    baseBranch: ctx.read.baseBranch,
    branchPrefix: ctx.config.branchPrefix,
    worktreePath: ctx.task.worktreePath,
  };
}
