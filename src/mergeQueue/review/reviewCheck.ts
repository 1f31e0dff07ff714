import type { ProbotOctokit } from 'probot';
import type { RepoTarget } from '../ports.js';
import type { Verdict } from '../reviewMarker.js';

/**
 * The supervisor's verdict as a check run on the PR's head, `Factory review`:
 * GitHub refuses an App's approval of its own pull request, so the review
 * alone counts for nothing under branch protection; a check run is what a
 * repository can require. Success carries the summary, failure the requested
 * changes. Ensure-style: the run already there for this head is kept when it
 * says the same, and corrected when a later review of the same head differs.
 */

export const reviewCheckName = 'Factory review';

export interface ReviewCheckInput {
  target: RepoTarget;
  headSha: string;
  prNumber: number;
  verdict: Verdict;
  summary: string;
  /** The requested changes, one line each (`path:line — what`). */
  requested: string[];
}

export type ReviewCheckOutcome =
  | { checkRunId: number; changed: boolean }
  /** The installation has not granted `checks: write` (an App upgraded before its owner accepted it). */
  | { skipped: string };

export async function ensureReviewCheck(
  octokit: ProbotOctokit,
  input: ReviewCheckInput,
): Promise<ReviewCheckOutcome> {
  try {
    return await setReviewCheck(octokit, input);
  } catch (error) {
    // The review itself stands; without the permission only the check is missing, and the
    // queue must not stall on it. Anything else is a real failure and is retried.
    if ((error as { status?: number }).status !== 403) throw error;
    return { skipped: 'checks: write not granted to this installation' };
  }
}

async function setReviewCheck(
  octokit: ProbotOctokit,
  input: ReviewCheckInput,
): Promise<{ checkRunId: number; changed: boolean }> {
  const repo = { owner: input.target.owner, repo: input.target.repo };
  const conclusion = input.verdict === 'APPROVE' ? 'success' : 'failure';
  const { data } = await octokit.rest.checks.listForRef({
    ...repo,
    ref: input.headSha,
    check_name: reviewCheckName,
    per_page: 100,
  });
  const existing = data.check_runs.find((run) => run.head_sha === input.headSha);
  if (existing?.status === 'completed' && existing.conclusion === conclusion) {
    return { checkRunId: existing.id, changed: false };
  }
  const body = {
    ...repo,
    name: reviewCheckName,
    status: 'completed' as const,
    conclusion: conclusion as 'success' | 'failure',
    external_id: `pr-${input.prNumber}`,
    output: checkOutput(input),
  };
  if (existing) {
    const { data: updated } = await octokit.rest.checks.update({
      ...body,
      check_run_id: existing.id,
    });
    return { checkRunId: updated.id, changed: true };
  }
  const { data: created } = await octokit.rest.checks.create({ ...body, head_sha: input.headSha });
  return { checkRunId: created.id, changed: true };
}

/** What the check shows on GitHub: the verdict as its title, the summary, the requested changes. */
export function checkOutput(input: Pick<ReviewCheckInput, 'verdict' | 'summary' | 'requested'>) {
  const title =
    input.verdict === 'APPROVE'
      ? 'Approved by the supervisor'
      : `Changes requested by the supervisor (${input.requested.length || 'see summary'})`;
  const text =
    input.requested.length > 0
      ? `Requested changes:\n\n${input.requested.map((line) => `- ${line}`).join('\n')}`
      : undefined;
  // GitHub caps a check run's summary and text at 65535 characters each.
  return {
    title,
    summary: input.summary.slice(0, 60_000),
    ...(text ? { text: text.slice(0, 60_000) } : {}),
  };
}
