import type { RepoConfig } from '../config/repoConfig.js';
import type { TaskState } from '../db/schema.js';
import {
  evaluateChecks,
  type CheckRunFact,
  type CommitStatusFact,
  type FailedCheck,
} from './checks.js';
import { reviewStanding, type ReviewFact } from './reviews.js';

/**
 * "What to do next with the head PR" — the merge queue's one decision, as a
 * pure function of everything known about the PR. The processor reads the
 * facts, asks this function, performs exactly the step it names, and asks
 * again when something changes. Keeping it pure is what lets every case be tested.
 *
 * The guarantee kept from the seed: main only receives a PR that was reviewed
 * and passed its checks on top of everything already merged. What changes: the
 * app brings the PR up to date itself and involves the worker only for a real
 * conflict, requested changes or failing checks.
 */

export interface HeadPrFacts {
  pr: {
    state: 'open' | 'closed';
    merged: boolean;
    /** Merged through this app (as opposed to by a person clicking the button). */
    mergedByApp: boolean;
    mergedBy: string | null;
    mergeCommitSha: string | null;
    headSha: string;
    draft: boolean;
    /** GitHub's mergeability; null while GitHub is still computing it. */
    mergeable: boolean | null;
  };
  task: { state: TaskState };
  entry: {
    reworkRounds: number;
    /** The base commit onto which the app's own update of this PR hit a conflict, if any. */
    conflictOnBaseSha: string | null;
  };
  base: {
    /** The base branch's tip now. */
    sha: string;
    /** The head contains the base tip: nothing merged since the head was built. */
    headIsUpToDate: boolean;
    /**
     * Merging the head into the base gives exactly the head's tree (`git merge-tree`):
     * what the checks ran on is what a merge or squash would land, even when git's
     * history says the head is behind (the base got a squash of what the head holds).
     */
    contentUpToDate: boolean;
  };
  /**
   * The app built this branch on the head of the PR ahead (speculative CI), from
   * the PR's own head `fromSha`. Null when it did not, or the branch moved on since.
   */
  speculation: {
    /** The head of the PR ahead that the branch was built on. */
    onSha: string;
    /** The PR's own head before the app built it on `onSha`. */
    fromSha: string;
    /** The base holds everything `onSha` brings: the PR ahead landed as built. */
    landed: boolean;
  } | null;
  reviews: readonly ReviewFact[];
  checks: {
    checkRuns: readonly CheckRunFact[];
    statuses: readonly CommitStatusFact[];
    noChecksGraceExpired: boolean;
  };
  config: Pick<
    RepoConfig,
    | 'requiredChecks'
    | 'humanReviewRequired'
    | 'maxAttempts'
    | 'mergeMethod'
    | 'updateMethod'
    | 'mergeQueue'
  >;
  epic: { paused: boolean };
}

export type WaitReason =
  | 'epic-paused'
  | 'worker'
  | 'task-blocked'
  | 'draft'
  | 'checks'
  | 'human-approval'
  | 'human-re-review'
  | 'mergeability';

export type SendBackReason = 'changes-requested' | 'checks-failed' | 'conflict';

export type NextStep =
  /** The PR is merged (by the app before a crash, or by a person): record it and move on. */
  | {
      kind: 'record-merged';
      by: 'app' | 'person';
      mergedBy: string | null;
      sha: string | null;
      reason: string;
    }
  /** A person closed the PR without merging: the task is BLOCKED, the queue moves on. */
  | { kind: 'block-closed'; reason: string }
  /** The task left the queue's hands (failed, reset): drop its entry. */
  | { kind: 'remove'; reason: string }
  /** `recheck`: no webhook announces the end of this wait; look again after a delay. */
  | { kind: 'wait'; for: WaitReason; reason: string; recheck?: boolean }
  /** The supervisor reviews this head commit (read-only) and submits a GitHub review. */
  | { kind: 'review'; sha: string; reason: string }
  /**
   * The app updates the branch onto the base itself, with git; no agent.
   * `fromSha`: the PR's own head, when the branch was built on a PR ahead.
   */
  | {
      kind: 'update-branch';
      method: 'rebase' | 'merge';
      baseSha: string;
      fromSha?: string;
      reason: string;
    }
  /**
   * The PR ahead, which this branch was built on, did not land: the branch goes
   * back to the PR's own head `fromSha`, without the other PR's commits.
   */
  | { kind: 'drop-speculation'; fromSha: string; reason: string }
  /** The worker gets the PR back on its branch (a `rework-task` job). */
  | {
      kind: 'send-back';
      because: SendBackReason;
      round: number;
      reason: string;
      requestedBy?: string[];
      failedChecks?: FailedCheck[];
      baseSha?: string;
    }
  | { kind: 'merge'; method: 'merge' | 'squash' | 'rebase'; sha: string; reason: string }
  /** Rework rounds exhausted: the task fails with the reason it would have gone back for. */
  | { kind: 'fail'; reason: string };

const taskWaits: Partial<Record<TaskState, { for: WaitReason; reason: string }>> = {
  ASSIGNED: { for: 'worker', reason: 'the worker is addressing the last round' },
  IN_PROGRESS: { for: 'worker', reason: 'the worker is addressing the last round' },
  BLOCKED: { for: 'task-blocked', reason: 'the task is blocked' },
};

export function nextStep(facts: HeadPrFacts): NextStep {
  return closedStep(facts) ?? holdStep(facts) ?? workStep(facts);
}

function closedStep({ pr }: HeadPrFacts): NextStep | undefined {
  if (pr.merged) {
    const by = pr.mergedByApp ? 'app' : 'person';
    const who = pr.mergedBy ? `@${pr.mergedBy}` : 'someone';
    return {
      kind: 'record-merged',
      by,
      mergedBy: pr.mergedBy,
      sha: pr.mergeCommitSha,
      reason: by === 'app' ? 'merged by the queue' : `merged by hand by ${who}`,
    };
  }
  if (pr.state === 'closed') {
    return { kind: 'block-closed', reason: 'the pull request was closed without being merged' };
  }
  return undefined;
}

function holdStep({ epic, task, pr }: HeadPrFacts): NextStep | undefined {
  if (epic.paused) return { kind: 'wait', for: 'epic-paused', reason: 'the epic is paused' };
  if (task.state !== 'REVIEW') {
    const wait = taskWaits[task.state];
    if (wait) return { kind: 'wait', ...wait };
    return { kind: 'remove', reason: `the task is ${task.state}, no longer in review` };
  }
  if (pr.draft) return { kind: 'wait', for: 'draft', reason: 'the pull request is a draft' };
  return undefined;
}

function sendBack(
  facts: HeadPrFacts,
  step: Omit<Extract<NextStep, { kind: 'send-back' }>, 'kind' | 'round'>,
): NextStep {
  const { reworkRounds } = facts.entry;
  if (reworkRounds >= facts.config.maxAttempts) {
    return {
      kind: 'fail',
      reason: `${step.reason}, and ${reworkRounds} rework rounds (maxAttempts) are used up`,
    };
  }
  return { kind: 'send-back', ...step, round: reworkRounds + 1 };
}

function workStep(facts: HeadPrFacts): NextStep {
  const { pr, base, config, entry, speculation } = facts;
  // Before anything else: this branch must never be merged, reviewed or sent back carrying
  // the commits of a PR ahead that did not land (checks red, sent back, closed, changed).
  if (speculation && !speculation.landed) {
    return {
      kind: 'drop-speculation',
      fromSha: speculation.fromSha,
      reason: `the PR ahead did not land as ${short(speculation.onSha)}, which this branch was built on`,
    };
  }
  const reviews = reviewStanding(facts.reviews, pr.headSha);

  if (reviews.humanChangesRequested.length > 0) {
    const who = reviews.humanChangesRequested;
    return sendBack(facts, {
      because: 'changes-requested',
      reason: `changes requested by ${who.map((login) => `@${login}`).join(', ')}`,
      requestedBy: who,
    });
  }
  if (reviews.supervisorRequestedChanges) {
    return sendBack(facts, {
      because: 'changes-requested',
      reason: 'changes requested by the supervisor',
    });
  }

  // Checks and review are only worth something on the commit that would be merged. A rebase
  // merge replays the head's commits, so only history, not content, makes it up to date.
  const contentCounts = base.contentUpToDate && config.mergeMethod !== 'rebase';
  if (!base.headIsUpToDate && !contentCounts) {
    if (entry.conflictOnBaseSha === base.sha) {
      return sendBack(facts, {
        because: 'conflict',
        reason: `the branch conflicts with the base at ${short(base.sha)}`,
        baseSha: base.sha,
      });
    }
    return {
      kind: 'update-branch',
      method: config.updateMethod,
      baseSha: base.sha,
      ...(speculation ? { fromSha: speculation.fromSha } : {}),
      reason: `the base moved to ${short(base.sha)}`,
    };
  }

  const checks = evaluateChecks({ ...facts.checks, requiredChecks: config.requiredChecks });
  if (checks.state === 'failed') {
    return sendBack(facts, {
      because: 'checks-failed',
      reason: `checks failed: ${checks.failed.map((c) => `${c.name} (${c.conclusion})`).join(', ')}`,
      failedChecks: checks.failed,
    });
  }

  const approved = reviews.supervisorApproved || reviews.humanApprovers.length > 0;
  if (!approved && !reviews.supervisorReviewedHead) {
    // Reviewing while checks run costs no wall time.
    return {
      kind: 'review',
      sha: pr.headSha,
      reason: `no approving review of ${short(pr.headSha)}`,
    };
  }
  if (checks.state === 'pending') {
    return {
      kind: 'wait',
      for: 'checks',
      reason: `waiting for checks: ${checks.waitingFor.join(', ')}`,
      ...(checks.nothingReported ? { recheck: true } : {}),
    };
  }
  return mergeGate(facts, reviews.humanApprovers, reviews.humanChangesRequestedEarlier, approved);
}

function mergeGate(
  facts: HeadPrFacts,
  humanApprovers: string[],
  humanChangesRequestedEarlier: string[],
  approved: boolean,
): NextStep {
  const { pr, config } = facts;
  if (!approved) {
    // The supervisor reviewed this exact commit and a person dismissed that review.
    return {
      kind: 'wait',
      for: 'human-approval',
      reason: 'the supervisor review of this commit was dismissed; waiting for an approval',
    };
  }
  if (config.humanReviewRequired && humanApprovers.length === 0) {
    return {
      kind: 'wait',
      for: 'human-approval',
      reason: 'human review is required: waiting for a person with write access to approve',
    };
  }
  if (humanChangesRequestedEarlier.length > 0) {
    return {
      kind: 'wait',
      for: 'human-re-review',
      reason: `waiting for ${humanChangesRequestedEarlier.map((l) => `@${l}`).join(', ')} to review the changes they asked for`,
    };
  }
  if (pr.mergeable !== true) {
    return {
      kind: 'wait',
      for: 'mergeability',
      recheck: true,
      reason:
        pr.mergeable === null
          ? 'GitHub is still computing whether the PR can be merged'
          : 'GitHub reports the PR cannot be merged yet',
    };
  }
  return {
    kind: 'merge',
    method: config.mergeMethod,
    sha: pr.headSha,
    reason: facts.base.headIsUpToDate
      ? `reviewed, checks green, up to date at ${short(pr.headSha)}`
      : `reviewed, checks green at ${short(pr.headSha)}, which already holds the base at ${short(facts.base.sha)}`,
  };
}

function short(sha: string): string {
  return sha.slice(0, 7);
}
