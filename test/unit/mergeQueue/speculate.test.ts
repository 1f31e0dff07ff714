import { describe, expect, it } from 'vitest';
import { parseRepoConfig } from '../../../src/config/repoConfig.js';
import type { NextStep } from '../../../src/mergeQueue/nextStep.js';
import { speculateStep } from '../../../src/mergeQueue/speculate.js';
import {
  AHEAD,
  HEAD,
  OLD_HEAD,
  headFacts,
  personReview,
  review,
} from '../../support/mergeQueue/headFacts.js';

const waitingForChecks: NextStep = { kind: 'wait', for: 'checks', reason: 'ci running' };
const ahead = (step: NextStep = waitingForChecks) => ({ headSha: AHEAD, step });

describe('speculateStep', () => {
  it('builds the approved next PR on the head while the head waits for its checks, from the PR’s own head', () => {
    expect(speculateStep({ ahead: ahead(), next: headFacts() })).toEqual({
      kind: 'speculate',
      onSha: AHEAD,
      fromSha: HEAD,
      method: 'rebase',
    });
  });

  it('uses the configured update method', () => {
    expect(
      speculateStep({ ahead: ahead(), next: headFacts({ config: { updateMethod: 'merge' } }) }),
    ).toMatchObject({ kind: 'speculate', method: 'merge' });
  });

  it('rebuilds from the PR’s own commits when it was built on an older head of the PR ahead', () => {
    expect(
      speculateStep({
        ahead: ahead(),
        next: headFacts({ speculation: { onSha: 'old-ahead', fromSha: OLD_HEAD, landed: false } }),
      }),
    ).toMatchObject({ kind: 'speculate', onSha: AHEAD, fromSha: OLD_HEAD });
  });

  it('counts a person’s approval', () => {
    expect(
      speculateStep({
        ahead: ahead(),
        next: headFacts({ reviews: [personReview('carol', 'APPROVED')] }),
      }),
    ).toMatchObject({ kind: 'speculate' });
  });

  it.each<[string, Parameters<typeof speculateStep>[0], string]>([
    [
      'off in the config',
      { ahead: ahead(), next: headFacts({ config: { mergeQueue: { speculate: false } } }) },
      'off',
    ],
    [
      'mergeMethod rebase',
      { ahead: ahead(), next: headFacts({ config: { mergeMethod: 'rebase' } }) },
      'rebase',
    ],
    [
      'the head is being reviewed',
      { ahead: ahead({ kind: 'review', sha: AHEAD, reason: 'r' }), next: headFacts() },
      'not waiting for its checks',
    ],
    [
      'the head is being updated',
      {
        ahead: ahead({ kind: 'update-branch', method: 'rebase', baseSha: 'b', reason: 'r' }),
        next: headFacts(),
      },
      'not waiting for its checks',
    ],
    [
      'the head waits for something else',
      {
        ahead: ahead({ kind: 'wait', for: 'human-approval', reason: 'r' }),
        next: headFacts(),
      },
      'not waiting for its checks',
    ],
    [
      'the next PR is closed',
      { ahead: ahead(), next: headFacts({ pr: { state: 'closed' } }) },
      'not open',
    ],
    [
      'the next PR is a draft',
      { ahead: ahead(), next: headFacts({ pr: { draft: true } }) },
      'draft',
    ],
    [
      'its worker is on a round',
      { ahead: ahead(), next: headFacts({ task: { state: 'IN_PROGRESS' } }) },
      'IN_PROGRESS',
    ],
    [
      'the epic is paused',
      { ahead: ahead(), next: headFacts({ epic: { paused: true } }) },
      'paused',
    ],
    [
      'already built on this head',
      { ahead: ahead(), next: headFacts({ speculation: { onSha: AHEAD, landed: false } }) },
      'already',
    ],
    [
      'it conflicted with this head before',
      { ahead: ahead(), next: headFacts({ entry: { conflictOnBaseSha: AHEAD } }) },
      'conflicts',
    ],
    ['not reviewed yet', { ahead: ahead(), next: headFacts({ reviews: [] }) }, 'not approved'],
    [
      'its approval is of an older change',
      {
        ahead: ahead(),
        next: headFacts({
          reviews: [review({ state: 'APPROVED', commitSha: OLD_HEAD, coversHead: false })],
        }),
      },
      'not approved',
    ],
    [
      'changes are requested',
      {
        ahead: ahead(),
        next: headFacts({
          reviews: [review({ state: 'APPROVED' }), personReview('alice', 'CHANGES_REQUESTED')],
        }),
      },
      'changes',
    ],
  ])('skips when %s', (_, facts, reason) => {
    const step = speculateStep(facts);
    expect(step.kind).toBe('skip');
    expect(step.kind === 'skip' && step.reason).toContain(reason);
  });
});

describe('mergeQueue.speculate in .github/factory.yml', () => {
  it('is on by default, can be turned off, and rejects unknown keys', () => {
    expect(parseRepoConfig({}).config.mergeQueue).toEqual({ speculate: true });
    expect(parseRepoConfig({ mergeQueue: { speculate: false } })).toMatchObject({
      ok: true,
      config: { mergeQueue: { speculate: false } },
    });
    const wrong = parseRepoConfig({ mergeQueue: { speculative: true } });
    expect(wrong.ok).toBe(false);
  });
});
