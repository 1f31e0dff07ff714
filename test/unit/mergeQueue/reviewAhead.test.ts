import { describe, expect, it } from 'vitest';
import { reviewAheadStep, type AheadFacts } from '../../../src/mergeQueue/reviewAhead.js';
import { HEAD, OLD_HEAD, personReview, review } from '../../support/mergeQueue/headFacts.js';

const facts = (overrides: Partial<AheadFacts> = {}, pr: Partial<AheadFacts['pr']> = {}) => ({
  pr: { state: 'open' as const, merged: false, draft: false, headSha: HEAD, ...pr },
  task: { state: 'REVIEW' as const },
  epic: { paused: false },
  reviews: [],
  ...overrides,
});

describe('reviewAheadStep', () => {
  it('reviews a waiting PR nobody reviewed yet, at its head, without waiting for the PRs ahead', () => {
    expect(reviewAheadStep(facts())).toEqual({ kind: 'review', sha: HEAD });
  });

  it('reviews again after the worker changed the PR (an earlier review does not cover the head)', () => {
    const earlier = review({ state: 'APPROVED', commitSha: OLD_HEAD, coversHead: false });
    expect(reviewAheadStep(facts({ reviews: [earlier] }))).toEqual({ kind: 'review', sha: HEAD });
  });

  it.each([
    ['an approval of this head', [review({ state: 'APPROVED' })]],
    [
      'an approval of the same patch on an older base',
      [review({ state: 'APPROVED', commitSha: OLD_HEAD, coversHead: true })],
    ],
    ['a request for changes on this head', [review({ state: 'CHANGES_REQUESTED' })]],
    ['a comment review of this head', [review({ state: 'COMMENTED' })]],
  ])('does not review twice: %s', (_what, reviews) => {
    expect(reviewAheadStep(facts({ reviews }))).toMatchObject({ kind: 'skip' });
  });

  it('leaves a PR a person approved, or one with changes requested, to its turn at the head', () => {
    expect(reviewAheadStep(facts({ reviews: [personReview('carol', 'APPROVED')] }))).toEqual({
      kind: 'skip',
      reason: 'a person approved this change',
    });
    expect(
      reviewAheadStep(facts({ reviews: [personReview('carol', 'CHANGES_REQUESTED')] })),
    ).toEqual({ kind: 'skip', reason: 'changes are requested' });
  });

  it('skips closed, merged and draft PRs, paused epics and tasks not in review', () => {
    expect(reviewAheadStep(facts({}, { state: 'closed' }))).toMatchObject({ kind: 'skip' });
    expect(reviewAheadStep(facts({}, { merged: true }))).toMatchObject({ kind: 'skip' });
    expect(reviewAheadStep(facts({}, { draft: true }))).toMatchObject({ kind: 'skip' });
    expect(reviewAheadStep(facts({ epic: { paused: true } }))).toMatchObject({ kind: 'skip' });
    expect(reviewAheadStep(facts({ task: { state: 'IN_PROGRESS' } }))).toEqual({
      kind: 'skip',
      reason: 'the task is IN_PROGRESS',
    });
  });
});
