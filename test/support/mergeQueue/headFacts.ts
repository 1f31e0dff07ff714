import type { HeadPrFacts } from '../../../src/mergeQueue/nextStep.js';
import type { ReviewFact } from '../../../src/mergeQueue/reviews.js';

export const HEAD = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
export const OLD_HEAD = 'ffffeeeeddddccccbbbbaaaa9999888877776666';
export const BASE = '0123456789abcdef0123456789abcdef01234567';
/** The head of the PR ahead, which a speculated branch was built on. */
export const AHEAD = 'aaaa1111bbbb2222cccc3333dddd4444eeee5555';

type Overrides = {
  [K in keyof HeadPrFacts]?: HeadPrFacts[K] extends readonly unknown[]
    ? HeadPrFacts[K]
    : Partial<HeadPrFacts[K]>;
};

let reviewIds = 0;

/** A review as the reader would report it; on the head commit unless told otherwise. */
export function review(partial: Partial<ReviewFact> & Pick<ReviewFact, 'state'>): ReviewFact {
  reviewIds += 1;
  return {
    id: reviewIds,
    reviewer: 'factory-app[bot]',
    byApp: true,
    trusted: false,
    commitSha: HEAD,
    coversHead: true,
    ...partial,
  };
}

export const supervisorApproval = () => review({ state: 'APPROVED' });
export const personReview = (
  reviewer: string,
  state: ReviewFact['state'],
  partial: Partial<ReviewFact> = {},
) => review({ reviewer, state, byApp: false, trusted: true, ...partial });

export const greenCheck = {
  id: 1,
  name: 'test',
  status: 'completed',
  conclusion: 'success',
} as const;

/** An open head PR that is reviewed, green and up to date: the next step is to merge it. */
export function headFacts(overrides: Overrides = {}): HeadPrFacts {
  const base: HeadPrFacts = {
    pr: {
      state: 'open',
      merged: false,
      mergedByApp: false,
      mergedBy: null,
      mergeCommitSha: null,
      headSha: HEAD,
      draft: false,
      mergeable: true,
    },
    task: { state: 'REVIEW' },
    entry: { reworkRounds: 0, conflictOnBaseSha: null },
    base: { sha: BASE, headIsUpToDate: true, contentUpToDate: true },
    speculation: null,
    reviews: [supervisorApproval()],
    checks: { checkRuns: [greenCheck], statuses: [], noChecksGraceExpired: true },
    config: {
      requiredChecks: 'all',
      humanReviewRequired: false,
      maxAttempts: 3,
      mergeMethod: 'squash',
      updateMethod: 'rebase',
      mergeQueue: { speculate: true },
    },
    epic: { paused: false },
  };
  return {
    pr: { ...base.pr, ...overrides.pr },
    task: { ...base.task, ...overrides.task },
    entry: { ...base.entry, ...overrides.entry },
    // Behind in history is behind in content unless a test says otherwise.
    base: {
      ...base.base,
      contentUpToDate: overrides.base?.headIsUpToDate ?? true,
      ...overrides.base,
    },
    speculation:
      overrides.speculation === undefined
        ? base.speculation
        : overrides.speculation && {
            onSha: AHEAD,
            fromSha: OLD_HEAD,
            landed: false,
            ...overrides.speculation,
          },
    reviews: overrides.reviews ?? base.reviews,
    checks: { ...base.checks, ...overrides.checks },
    config: { ...base.config, ...overrides.config },
    epic: { ...base.epic, ...overrides.epic },
  };
}
