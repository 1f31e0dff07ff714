import { eq } from 'drizzle-orm';
import { tasks } from '../../db/schema.js';
import { recordConflict } from '../entries.js';
import type { NextStep } from '../nextStep.js';
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
  const { deps, entry, task, read } = ctx;
  const outcome = await deps.git.updateBranch(
    {
      ...ctx.target,
      epicIssue: ctx.epic.issueNumber,
      taskIssue: task.issueNumber,
      branch: read.headBranch,
      baseBranch: read.baseBranch,
      branchPrefix: ctx.config.branchPrefix,
      worktreePath: task.worktreePath,
    },
    step.method,
    read.headSha,
  );
  switch (outcome.outcome) {
    case 'updated':
    case 'up-to-date':
      await recordConflict(deps.db, entry.id, null);
      await deps.db.update(tasks).set({ headSha: outcome.headSha }).where(eq(tasks.id, task.id));
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
