import { crashPoint } from '../../crashPoint.js';
import { recordDecision } from '../../db/decisions.js';
import { ensureSupervisorAgent } from '../../agents/supervisor/supervisorAgent.js';
import { recordApproval } from '../entries.js';
import type { NextStep } from '../nextStep.js';
import { reviewPrompts } from '../review/prompt.js';
import { ensureCheckOfOwnReview, findOwnReview, submitReview } from '../review/submitReview.js';
import { reviewVerdictSchema } from '../review/verdict.js';
import { logDecision, shortSha, wakeAfter, type StepContext } from './context.js';

/**
 * The supervisor reviews the head commit (or a PR behind it, reviewed ahead) read-only against the task's
 * acceptance criteria and the diff, then submits a real GitHub review. The
 * queue's next look turns a REQUEST_CHANGES into a round for the worker.
 */
export async function reviewHead(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'review' }>,
): Promise<void> {
  const { deps, target, entry, read } = ctx;
  const existing = await findOwnReview(ctx.octokit, target, entry.prNumber, ctx.botLogin, step.sha);
  if (existing !== undefined) {
    // Submitted by a look that did not record it (it died after submitting): not submitted twice.
    await recordDecision(deps.db, {
      epicId: ctx.epic.id,
      taskId: ctx.task.id,
      decision: 'recovered: review found submitted',
      reasoning: `the supervisor's review ${existing} of PR #${entry.prNumber} at ${shortSha(step.sha)} is on GitHub already; it is not submitted again`,
      context: { pr: entry.prNumber, sha: step.sha, reviewId: existing },
    });
    await ensureCheckOfOwnReview(ctx.octokit, target, entry.prNumber, ctx.botLogin, step.sha);
    await wakeAfter(ctx, ['reviewed', entry.id, step.sha]);
    return;
  }
  // A branch built on the PR ahead: its own change starts at that PR's head.
  const from = read.facts.speculation?.onSha;
  const diff = await deps.git.diff(target, read.baseBranch, step.sha, from);
  const cwd = await deps.git.reviewCheckout(
    target,
    ctx.epic.issueNumber,
    step.sha,
    ctx.task.issueNumber,
  );
  const prompts = await reviewPrompts({
    epic: ctx.epic,
    task: ctx.task,
    prNumber: entry.prNumber,
    headSha: step.sha,
    baseBranch: read.baseBranch,
    diff,
    round: entry.reworkRounds,
    checkout: cwd,
  });
  const result = await deps.agents.runStructured(
    {
      role: 'supervisor',
      // The epic's live supervisor: one that died (a crash mid-review) is replaced.
      agentId: (await ensureSupervisorAgent(deps.db, ctx.epic)).id,
      purpose: 'review',
      cwd,
      systemPrompt: prompts.systemPrompt,
      prompt: prompts.prompt,
      model: ctx.config.models.supervisor ?? deps.env.MODEL_SUPERVISOR,
      context: { installationId: target.installationId, epicId: ctx.epic.id, taskId: ctx.task.id },
    },
    {
      toolName: 'submit_review',
      description:
        'Submit your review of the pull request: APPROVE, or REQUEST_CHANGES with line comments.',
      schema: reviewVerdictSchema,
    },
  );
  if (result.status !== 'succeeded' || !result.output) {
    const why = result.error?.message ?? `the review run ended ${result.status}`;
    // Thrown so BullMQ retries with backoff; its attempts end in a failed job the orchestrator sees.
    throw new Error(`Review of PR #${entry.prNumber} at ${shortSha(step.sha)} failed: ${why}`);
  }
  const verdict = result.output;
  crashPoint(deps.env, 'review');
  const submitted = await submitReview(ctx.octokit, {
    target,
    prNumber: entry.prNumber,
    botLogin: ctx.botLogin,
    headSha: step.sha,
    diff,
    verdict,
  });
  if (verdict.verdict === 'APPROVE') await recordApproval(deps.db, entry.id, step.sha);
  await logDecision(ctx, `review: ${verdict.verdict}`, verdict.summary, {
    pr: entry.prNumber,
    sha: step.sha,
    reviewId: submitted.reviewId,
    event: submitted.event,
    comments: verdict.comments.length,
  });
  await wakeAfter(ctx, ['reviewed', entry.id, step.sha]);
}
