import type { HeadPrFacts, NextStep } from './nextStep.js';
import { reviewStanding } from './reviews.js';

/**
 * Speculative CI, a pure decision: while the head PR's checks run, build the
 * next PR on top of the head's commit so its checks run at the same time,
 * instead of after the head merged (N·T becomes about T per PR pair).
 *
 * Why the guarantee holds: when the head lands (squash or merge), the base's
 * tree is the head's tree, so the next PR's branch — built on that commit —
 * holds the base in content (`contentUpToDate`) and its checks ran on exactly
 * what its merge lands. If the head does not land as built, `nextStep` takes
 * the next PR back to its own commits (`drop-speculation`) before anything else.
 */

export interface SpeculateFacts {
  /** The head PR: its commit and the step the queue just took with it. */
  ahead: { headSha: string; step: NextStep };
  /** The next PR in the queue, as the head's reader reads any PR. */
  next: HeadPrFacts;
}

export type SpeculateStep =
  | {
      kind: 'speculate';
      /** The head PR's commit to build on. */
      onSha: string;
      /** The next PR's own commits end here (its head before any earlier speculation). */
      fromSha: string;
      method: 'rebase' | 'merge';
    }
  | { kind: 'skip'; reason: string };

export function speculateStep({ ahead, next }: SpeculateFacts): SpeculateStep {
  const { config, pr, speculation } = next;
  if (!config.mergeQueue.speculate) return skip('speculative CI is off in the config');
  if (config.mergeMethod === 'rebase') {
    // A rebase merge replays commits: the head's commits would be replayed again with this PR.
    return skip('mergeMethod rebase lands commits, not a tree');
  }
  if (ahead.step.kind !== 'wait' || ahead.step.for !== 'checks') {
    return skip('the head is not waiting for its checks');
  }
  if (pr.merged || pr.state !== 'open') return skip('the PR is not open');
  if (next.epic.paused) return skip('the epic is paused');
  if (next.task.state !== 'REVIEW') return skip(`the task is ${next.task.state}`);
  if (pr.draft) return skip('the PR is a draft');
  if (speculation?.onSha === ahead.headSha) return skip('already built on the head');
  if (next.entry.conflictOnBaseSha === ahead.headSha) return skip('it conflicts with the head');
  const reviews = reviewStanding(next.reviews, pr.headSha);
  if (reviews.supervisorRequestedChanges || reviews.humanChangesRequested.length > 0) {
    return skip('changes are requested');
  }
  if (!reviews.supervisorApproved && reviews.humanApprovers.length === 0) {
    // Checks of a change that may still be sent back would be wasted CI.
    return skip('not approved yet');
  }
  return {
    kind: 'speculate',
    onSha: ahead.headSha,
    fromSha: speculation?.fromSha ?? pr.headSha,
    method: config.updateMethod,
  };
}

const skip = (reason: string): SpeculateStep => ({ kind: 'skip', reason });
