import type { ProbotOctokit } from 'probot';
import type { RepoTarget } from '../ports.js';
import { parseReviewMarker, reviewMarker } from '../reviewMarker.js';
import { placeComments } from './diffLines.js';
import { ensureReviewCheck } from './reviewCheck.js';
import type { ReviewVerdict } from './verdict.js';

/**
 * Submits the supervisor's verdict as a real GitHub review, ensure-style: a
 * review the App already submitted for this head commit is found and reused,
 * so a retried job never posts a second one.
 */

export interface SubmittedReview {
  reviewId: number;
  /** The GitHub review event used: COMMENT when GitHub refused a verdict on the App's own PR. */
  event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT';
  reused: boolean;
}

export async function findOwnReview(
  octokit: ProbotOctokit,
  target: RepoTarget,
  prNumber: number,
  botLogin: string,
  headSha: string,
): Promise<number | undefined> {
  const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
    owner: target.owner,
    repo: target.repo,
    pull_number: prNumber,
    per_page: 100,
  });
  const own = reviews.find(
    (r) => r.user?.login === botLogin && parseReviewMarker(r.body ?? '')?.sha === headSha,
  );
  return own?.id;
}

/**
 * The check run for a review submitted by a look that died before setting it:
 * the verdict from the review's marker, the summary from its body.
 */
export async function ensureCheckOfOwnReview(
  octokit: ProbotOctokit,
  target: RepoTarget,
  prNumber: number,
  botLogin: string,
  headSha: string,
): Promise<void> {
  const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
    owner: target.owner,
    repo: target.repo,
    pull_number: prNumber,
    per_page: 100,
  });
  for (const review of reviews) {
    const marker = parseReviewMarker(review.body ?? '');
    if (review.user?.login !== botLogin || marker?.sha !== headSha) continue;
    const summary = (review.body ?? '').replace(/<!-- factory:review [^>]*-->/, '').trim();
    await ensureReviewCheck(octokit, {
      target,
      headSha,
      prNumber,
      verdict: marker.verdict,
      summary,
      requested: [],
    });
    return;
  }
}

export function reviewBody(
  verdict: ReviewVerdict,
  headSha: string,
  elsewhere: ReviewVerdict['comments'],
) {
  const heading =
    verdict.verdict === 'APPROVE'
      ? '✅ Approved by the supervisor'
      : '🔁 Changes requested by the supervisor';
  const notes = elsewhere.map((c) => `- \`${c.path}:${c.line}\` — ${c.body}`).join('\n');
  return [
    `${heading}\n\n${verdict.summary}`,
    notes ? `Comments on lines outside the diff:\n${notes}` : '',
    reviewMarker(verdict.verdict, headSha),
  ]
    .filter(Boolean)
    .join('\n\n');
}

export async function submitReview(
  octokit: ProbotOctokit,
  input: {
    target: RepoTarget;
    prNumber: number;
    botLogin: string;
    headSha: string;
    diff: string;
    verdict: ReviewVerdict;
  },
): Promise<SubmittedReview> {
  const { target, prNumber, headSha, verdict } = input;
  const existing = await findOwnReview(octokit, target, prNumber, input.botLogin, headSha);
  const submitted =
    existing !== undefined
      ? { reviewId: existing, event: verdict.verdict, reused: true }
      : await createReview(octokit, input);
  await ensureReviewCheck(octokit, {
    target,
    headSha,
    prNumber,
    verdict: verdict.verdict,
    summary: verdict.summary,
    requested: verdict.comments.map((c) => `\`${c.path}:${c.line}\` — ${c.body}`),
  });
  return submitted;
}

async function createReview(
  octokit: ProbotOctokit,
  input: Parameters<typeof submitReview>[1],
): Promise<SubmittedReview> {
  const { target, prNumber, headSha, verdict } = input;

  const { inline, elsewhere } = placeComments(input.diff, verdict.comments);
  const request = {
    owner: target.owner,
    repo: target.repo,
    pull_number: prNumber,
    commit_id: headSha,
    body: reviewBody(verdict, headSha, elsewhere),
    comments: inline.map((c) => ({
      path: c.path,
      line: c.line,
      side: 'RIGHT' as const,
      body: c.body,
    })),
  };
  try {
    const { data } = await octokit.rest.pulls.createReview({ ...request, event: verdict.verdict });
    return { reviewId: data.id, event: verdict.verdict, reused: false };
  } catch (error) {
    if (!isOwnPullRefusal(error)) throw error;
    const { data } = await octokit.rest.pulls.createReview({ ...request, event: 'COMMENT' });
    return { reviewId: data.id, event: 'COMMENT', reused: false };
  }
}

/** GitHub's 422 for "Can not approve / request changes on your own pull request". */
function isOwnPullRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status, message } = error as { status?: number; message?: string };
  return status === 422 && /own pull request/i.test(message ?? '');
}
