import type { NextStep } from '../nextStep.js';
import { parseReviewMarker } from '../reviewMarker.js';
import { shortSha, type StepContext } from './context.js';

/**
 * The feedback a worker gets with a rework round, as mail to its task: the
 * review and its line comments, the failing checks' output, or the conflict.
 * Self-contained, because the worker agent has no access to GitHub.
 */

const reviewLimit = 20_000;

export async function composeReworkMail(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'send-back' }>,
): Promise<{ subject: string; body: string }> {
  const pr = `PR #${ctx.entry.prNumber}`;
  const round = `round ${step.round} of ${ctx.config.maxAttempts}`;
  switch (step.because) {
    case 'changes-requested':
      return {
        subject: `Changes requested on ${pr} (${round})`,
        body: clip(
          `${step.reason}. Address every point on the same branch; the PR is reviewed again after your push.\n\n${await reviewFeedback(ctx, step.requestedBy)}`,
        ),
      };
    case 'checks-failed':
      return {
        subject: `Checks failed on ${pr} (${round})`,
        body: clip(
          [
            `The checks on ${shortSha(ctx.read.headSha)} failed. Fix the cause on the same branch.`,
            ...(step.failedChecks ?? []).map(
              (c) =>
                `### ${c.name}: ${c.conclusion}${c.detailsUrl ? ` (${c.detailsUrl})` : ''}\n\`\`\`\n${c.output || '(no output reported)'}\n\`\`\``,
            ),
          ].join('\n\n'),
        ),
      };
    case 'conflict':
      return {
        subject: `Conflict with ${ctx.read.baseBranch} on ${pr} (${round})`,
        body: `Your branch ${ctx.read.headBranch} no longer applies cleanly to ${ctx.read.baseBranch} at ${step.baseSha ?? '(its tip)'}: git could not bring it up to date. Bring the branch onto ${ctx.read.baseBranch} (the app's update method is "${ctx.config.updateMethod}"), resolve every conflict keeping both sides' intent, run the checks, and push.`,
      };
  }
}

/** The standing requests for changes on the head: the supervisor's, or the named people's. */
async function reviewFeedback(ctx: StepContext, people: string[] | undefined): Promise<string> {
  const { octokit, target, entry } = ctx;
  const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
    owner: target.owner,
    repo: target.repo,
    pull_number: entry.prNumber,
    per_page: 100,
  });
  const wanted = reviews.filter((r) =>
    people?.length
      ? people.includes(r.user?.login ?? '') && r.state === 'CHANGES_REQUESTED'
      : r.user?.login === ctx.botLogin && parseReviewMarker(r.body ?? '')?.sha === ctx.read.headSha,
  );
  const parts: string[] = [];
  for (const review of wanted.slice(-3)) {
    const comments = await octokit.paginate(octokit.rest.pulls.listCommentsForReview, {
      owner: target.owner,
      repo: target.repo,
      pull_number: entry.prNumber,
      review_id: review.id,
      per_page: 100,
    });
    const who = review.user?.login === ctx.botLogin ? 'the supervisor' : `@${review.user?.login}`;
    const lines = comments.map(
      (c) => `- \`${c.path}:${c.line ?? c.original_line ?? '?'}\` — ${c.body}`,
    );
    const body = (review.body ?? '').replace(/<!-- factory:review [^>]*-->/, '').trim();
    parts.push(
      `## Review by ${who}\n${body || '(no summary)'}${lines.length ? `\n\n${lines.join('\n')}` : ''}`,
    );
  }
  return parts.join('\n\n') || '(the review had no text)';
}

function clip(text: string): string {
  return text.length > reviewLimit ? `${text.slice(0, reviewLimit)}\n… (cut)` : text;
}
