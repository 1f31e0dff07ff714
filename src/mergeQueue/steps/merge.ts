import { eq } from 'drizzle-orm';
import { crashPoint } from '../../crashPoint.js';
import { recordDecision } from '../../db/decisions.js';
import { tasks } from '../../db/schema.js';
import { jobIds } from '../../queues/jobs.js';
import { leaveQueue } from '../entries.js';
import type { NextStep } from '../nextStep.js';
import { ensureReviewCheck } from '../review/reviewCheck.js';
import { reviewStanding } from '../reviews.js';
import { logDecision, moveHeadTask, shortSha, wakeAfter, type StepContext } from './context.js';

/**
 * Merges the head PR with the configured method. `sha` makes GitHub refuse
 * the merge if the head moved since it was judged, so nothing unreviewed or
 * unchecked can slip in between the decision and the merge.
 */
export async function mergeHead(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'merge' }>,
): Promise<void> {
  const { octokit, target, entry } = ctx;
  await carryReviewCheck(ctx, step.sha);
  try {
    const { data } = await octokit.rest.pulls.merge({
      owner: target.owner,
      repo: target.repo,
      pull_number: entry.prNumber,
      sha: step.sha,
      merge_method: step.method,
    });
    crashPoint(ctx.deps.env, 'merge');
    await recordMerged(ctx, { sha: data.sha, by: 'the queue', reason: step.reason });
  } catch (error) {
    const status = (error as { status?: number }).status;
    // 405: not mergeable now; 409: the head moved. Read the PR again rather than guess.
    if (status !== 405 && status !== 409) throw error;
    if (await alreadyMerged(ctx)) {
      // Another look at the queue merged it a moment ago; the next look records it.
      await wakeAfter(ctx, ['merged-meanwhile', entry.id, step.sha]);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    await logDecision(ctx, 'merge: refused by GitHub', message, {
      pr: entry.prNumber,
      sha: step.sha,
      status,
    });
    await wakeAfter(
      ctx,
      ['merge-refused', entry.id, step.sha, ctx.poll + 1],
      ctx.deps.options.pollMs,
      ctx.poll + 1,
    );
  }
}

/**
 * The supervisor's approval stands for a head that is a clean update of the
 * commit it reviewed (same patch): so does its `Factory review` check, set on
 * the head about to merge — a branch protection requiring it would refuse the
 * merge otherwise. Nothing is set when only a person approved.
 */
async function carryReviewCheck(ctx: StepContext, sha: string): Promise<void> {
  const standing = reviewStanding(ctx.read.facts.reviews, sha);
  if (!standing.supervisorApproved) return;
  const reviewed = ctx.read.facts.reviews.find(
    (r) => r.byApp && r.state === 'APPROVED' && r.coversHead,
  );
  await ensureReviewCheck(ctx.octokit, {
    target: ctx.target,
    headSha: sha,
    prNumber: ctx.entry.prNumber,
    verdict: 'APPROVE',
    summary:
      reviewed && reviewed.commitSha !== sha
        ? `Approved at ${shortSha(reviewed.commitSha)}; this head is the same change on a newer base.`
        : 'Approved by the supervisor.',
    requested: [],
  });
}

async function alreadyMerged(ctx: StepContext): Promise<boolean> {
  const { data } = await ctx.octokit.rest.pulls.get({
    owner: ctx.target.owner,
    repo: ctx.target.repo,
    pull_number: ctx.entry.prNumber,
  });
  return data.merged === true;
}

/**
 * The queue's own merge that nothing recorded: the look that merged it died
 * between GitHub's merge and the record (a crash), or its record was lost.
 * Said as a recovery, so the status page and whoever reads the log see it.
 */
export async function noteMergeFoundDone(ctx: StepContext, sha: string | null): Promise<void> {
  await recordDecision(ctx.deps.db, {
    epicId: ctx.epic.id,
    taskId: ctx.task.id,
    decision: 'recovered: merge found done',
    reasoning: `PR #${ctx.entry.prNumber} is merged on GitHub (${shortSha(sha ?? 'none')}) by the queue, which had not recorded it: the look that merged it did not finish; recorded now`,
    context: { pr: ctx.entry.prNumber, sha },
  });
}

/** The PR is merged (by the queue or by a person): the task is done and the queue moves on. */
export async function recordMerged(
  ctx: StepContext,
  merge: { sha: string | null; by: string; reason: string },
): Promise<void> {
  const { deps, entry, task } = ctx;
  await leaveQueue(deps.db, entry.id, { state: 'merged', sha: merge.sha });
  const from = task.state;
  // A person may merge while the worker is on a round, or after the task was blocked.
  if (from === 'IN_PROGRESS' || from === 'BLOCKED') await moveHeadTask(ctx, from, 'REVIEW');
  if (from === 'REVIEW' || from === 'IN_PROGRESS' || from === 'BLOCKED') {
    await moveHeadTask(ctx, 'REVIEW', 'COMPLETED');
  }
  await logDecision(ctx, 'merged', merge.reason, {
    pr: entry.prNumber,
    sha: merge.sha,
    by: merge.by,
  });
  await deps.queues.enqueue(
    'update-progress',
    { epicId: ctx.epic.id, ...targetRef(ctx) },
    { jobId: jobIds.forEntity('update-progress', ctx.epic.id, 'merged', entry.id) },
  );
  await completeWhenDone(ctx);
  await wakeAfter(ctx, ['merged', entry.id, shortSha(merge.sha ?? 'none')]);
}

/** The last merge completes the epic: every task of it is COMPLETED. */
export function completeWhenDone(ctx: StepContext): Promise<boolean> {
  return completeEpicWhenDone(ctx.deps, ctx.epic.id, targetRef(ctx));
}

/**
 * Asks for the epic's completion (one `complete-epic` job per epic, so
 * asking again is harmless) once every task of it is COMPLETED. True when asked.
 */
export async function completeEpicWhenDone(
  deps: Pick<StepContext['deps'], 'db' | 'queues'>,
  epicId: number,
  target: { installationId: number; owner: string; repo: string },
): Promise<boolean> {
  const states = await deps.db
    .select({ state: tasks.state })
    .from(tasks)
    .where(eq(tasks.epicId, epicId));
  // An epic without tasks yet (still planning) is not done: its one complete-epic job would be spent.
  if (states.length === 0 || states.some((task) => task.state !== 'COMPLETED')) return false;
  await deps.queues.enqueue(
    'complete-epic',
    { epicId, ...target },
    { jobId: jobIds.forEntity('complete-epic', epicId) },
  );
  return true;
}

function targetRef(ctx: StepContext) {
  return {
    installationId: ctx.target.installationId,
    owner: ctx.target.owner,
    repo: ctx.target.repo,
  };
}
