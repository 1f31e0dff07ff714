import type { TaskState } from '../db/schema.js';
import { reviewStanding, type ReviewFact } from './reviews.js';

/**
 * Whether to review a PR that waits behind the head — a pure decision. The
 * review does not depend on the PRs ahead (it judges the task's change, and a
 * clean update onto a newer base keeps the same patch, so the review still
 * covers it), so it need not wait for them: done while the head's checks run,
 * it takes the supervisor's review off the critical path. Merging still waits
 * for the head position, the update and green checks on that exact commit.
 */

export interface AheadFacts {
  pr: { state: 'open' | 'closed'; merged: boolean; draft: boolean; headSha: string };
  task: { state: TaskState };
  epic: { paused: boolean };
  reviews: readonly ReviewFact[];
}

export type AheadStep = { kind: 'review'; sha: string } | { kind: 'skip'; reason: string };

export function reviewAheadStep({ pr, task, epic, reviews }: AheadFacts): AheadStep {
  if (pr.merged || pr.state !== 'open') return { kind: 'skip', reason: 'the PR is not open' };
  if (epic.paused) return { kind: 'skip', reason: 'the epic is paused' };
  if (task.state !== 'REVIEW') return { kind: 'skip', reason: `the task is ${task.state}` };
  if (pr.draft) return { kind: 'skip', reason: 'the PR is a draft' };
  const standing = reviewStanding(reviews, pr.headSha);
  if (standing.supervisorReviewedHead || standing.supervisorApproved) {
    return { kind: 'skip', reason: 'the supervisor already reviewed this change' };
  }
  if (standing.humanApprovers.length > 0) {
    return { kind: 'skip', reason: 'a person approved this change' };
  }
  if (standing.supervisorRequestedChanges || standing.humanChangesRequested.length > 0) {
    // The worker gets this round when the PR reaches the head; a review now would be of stale work.
    return { kind: 'skip', reason: 'changes are requested' };
  }
  return { kind: 'review', sha: pr.headSha };
}
