import { describe, expect, it } from 'vitest';
import { nextStep } from '../../../src/mergeQueue/nextStep.js';
import {
  BASE,
  HEAD,
  OLD_HEAD,
  greenCheck,
  headFacts,
  personReview,
  review,
  supervisorApproval,
} from '../../support/mergeQueue/headFacts.js';

const NEW_BASE = '9999999999999999999999999999999999999999';

describe('nextStep: a PR that is ready', () => {
  it('merges a reviewed, green, up-to-date PR with the configured method, guarded by its head sha', () => {
    expect(nextStep(headFacts())).toMatchObject({ kind: 'merge', method: 'squash', sha: HEAD });
  });

  it.each(['merge', 'rebase', 'squash'] as const)('uses merge method %s from the config', (m) => {
    expect(nextStep(headFacts({ config: { mergeMethod: m } }))).toMatchObject({
      kind: 'merge',
      method: m,
    });
  });
});

describe('nextStep: the PR was merged or closed outside the queue', () => {
  it('records a merge by a person and moves on, whatever else is true', () => {
    const step = nextStep(
      headFacts({
        pr: { state: 'closed', merged: true, mergedBy: 'alice', mergeCommitSha: 'm1' },
        reviews: [],
        checks: { checkRuns: [{ ...greenCheck, conclusion: 'failure' }] },
        epic: { paused: true },
      }),
    );
    expect(step).toEqual({
      kind: 'record-merged',
      by: 'person',
      mergedBy: 'alice',
      sha: 'm1',
      reason: 'merged by hand by @alice',
    });
  });

  it('records its own earlier merge (a crash after pulls.merge) as merged by the app', () => {
    const step = nextStep(
      headFacts({
        pr: { state: 'closed', merged: true, mergedByApp: true, mergeCommitSha: 'm2' },
      }),
    );
    expect(step).toMatchObject({ kind: 'record-merged', by: 'app', sha: 'm2' });
  });

  it('blocks the task when a person closed the PR without merging', () => {
    expect(nextStep(headFacts({ pr: { state: 'closed' } }))).toMatchObject({
      kind: 'block-closed',
    });
  });
});

describe('nextStep: holding', () => {
  it('waits while the epic is paused, even when everything is ready', () => {
    expect(nextStep(headFacts({ epic: { paused: true } }))).toMatchObject({
      kind: 'wait',
      for: 'epic-paused',
    });
  });

  it.each(['IN_PROGRESS', 'ASSIGNED'] as const)(
    'waits for the worker while the task is %s (a rework round is running)',
    (state) => {
      expect(nextStep(headFacts({ task: { state } }))).toMatchObject({
        kind: 'wait',
        for: 'worker',
      });
    },
  );

  it('waits while the task is BLOCKED', () => {
    expect(nextStep(headFacts({ task: { state: 'BLOCKED' } }))).toMatchObject({
      kind: 'wait',
      for: 'task-blocked',
    });
  });

  it.each(['FAILED', 'PENDING', 'COMPLETED'] as const)(
    'removes the entry of a task that is %s',
    (state) => {
      expect(nextStep(headFacts({ task: { state } }))).toMatchObject({ kind: 'remove' });
    },
  );

  it('waits on a draft PR', () => {
    expect(nextStep(headFacts({ pr: { draft: true } }))).toMatchObject({
      kind: 'wait',
      for: 'draft',
    });
  });
});

describe('nextStep: review', () => {
  it('asks the supervisor to review a head nobody has reviewed', () => {
    expect(nextStep(headFacts({ reviews: [] }))).toEqual({
      kind: 'review',
      sha: HEAD,
      reason: expect.any(String),
    });
  });

  it('reviews while checks are still running (no wall time lost)', () => {
    const step = nextStep(
      headFacts({
        reviews: [],
        checks: { checkRuns: [{ ...greenCheck, status: 'in_progress', conclusion: null }] },
      }),
    );
    expect(step).toMatchObject({ kind: 'review' });
  });

  it('reviews again after the worker pushed a new head with a different change', () => {
    const step = nextStep(
      headFacts({
        reviews: [review({ state: 'APPROVED', commitSha: OLD_HEAD, coversHead: false })],
      }),
    );
    expect(step).toMatchObject({ kind: 'review', sha: HEAD });
  });

  it('keeps the approval across a clean update (same patch on a newer base): no second review', () => {
    const step = nextStep(
      headFacts({
        reviews: [review({ state: 'APPROVED', commitSha: OLD_HEAD, coversHead: true })],
      }),
    );
    expect(step).toMatchObject({ kind: 'merge', sha: HEAD });
  });

  it('counts the approval of a person with write access instead of the supervisor review', () => {
    expect(nextStep(headFacts({ reviews: [personReview('alice', 'APPROVED')] }))).toMatchObject({
      kind: 'merge',
    });
  });

  it("does not count an outsider's approval", () => {
    const outsider = personReview('mallory', 'APPROVED', { trusted: false });
    expect(nextStep(headFacts({ reviews: [outsider] }))).toMatchObject({ kind: 'review' });
  });

  it('ignores COMMENTED reviews when judging approval', () => {
    const step = nextStep(
      headFacts({ reviews: [supervisorApproval(), personReview('alice', 'COMMENTED')] }),
    );
    expect(step).toMatchObject({ kind: 'merge' });
  });

  it('never submits a second review on a head the supervisor already reviewed', () => {
    // GitHub turns a dismissed review's state into DISMISSED: a person overruled the supervisor.
    const step = nextStep(headFacts({ reviews: [review({ state: 'DISMISSED' })] }));
    expect(step).toMatchObject({ kind: 'wait', for: 'human-approval' });
  });
});

describe('nextStep: changes requested', () => {
  it('sends a supervisor REQUEST_CHANGES on the head back to the worker (round 1)', () => {
    const step = nextStep(headFacts({ reviews: [review({ state: 'CHANGES_REQUESTED' })] }));
    expect(step).toMatchObject({ kind: 'send-back', because: 'changes-requested', round: 1 });
  });

  it("sends a person's request for changes back to the worker, naming the person", () => {
    const step = nextStep(
      headFacts({ reviews: [supervisorApproval(), personReview('bob', 'CHANGES_REQUESTED')] }),
    );
    expect(step).toMatchObject({
      kind: 'send-back',
      because: 'changes-requested',
      requestedBy: ['bob'],
    });
  });

  it("takes a person's latest verdict: approval after a request for changes lets it merge", () => {
    const step = nextStep(
      headFacts({
        reviews: [personReview('bob', 'CHANGES_REQUESTED'), personReview('bob', 'APPROVED')],
      }),
    );
    expect(step).toMatchObject({ kind: 'merge' });
  });

  it("ignores an outsider's request for changes", () => {
    const outsider = personReview('mallory', 'CHANGES_REQUESTED', { trusted: false });
    expect(nextStep(headFacts({ reviews: [supervisorApproval(), outsider] }))).toMatchObject({
      kind: 'merge',
    });
  });

  it("after the worker addressed a person's request, reviews the new head, then waits for that person", () => {
    const earlier = personReview('bob', 'CHANGES_REQUESTED', {
      commitSha: OLD_HEAD,
      coversHead: false,
    });
    expect(nextStep(headFacts({ reviews: [earlier] }))).toMatchObject({ kind: 'review' });
    expect(nextStep(headFacts({ reviews: [earlier, supervisorApproval()] }))).toMatchObject({
      kind: 'wait',
      for: 'human-re-review',
    });
  });

  it('a dismissed request for changes no longer holds the PR', () => {
    const step = nextStep(
      headFacts({
        reviews: [
          supervisorApproval(),
          personReview('bob', 'CHANGES_REQUESTED'),
          personReview('bob', 'DISMISSED'),
        ],
      }),
    );
    expect(step).toMatchObject({ kind: 'merge' });
  });

  it('fails the task when the rework rounds are used up', () => {
    const step = nextStep(
      headFacts({
        reviews: [review({ state: 'CHANGES_REQUESTED' })],
        entry: { reworkRounds: 3 },
        config: { maxAttempts: 3 },
      }),
    );
    expect(step).toMatchObject({ kind: 'fail' });
    expect(step.kind === 'fail' && step.reason).toMatch(/changes requested.*3 rework rounds/);
  });

  it('counts rounds: the third round is allowed with maxAttempts 3', () => {
    const step = nextStep(
      headFacts({ reviews: [review({ state: 'CHANGES_REQUESTED' })], entry: { reworkRounds: 2 } }),
    );
    expect(step).toMatchObject({ kind: 'send-back', round: 3 });
  });
});

describe('nextStep: checks', () => {
  it('sends failing checks back to the worker with their output', () => {
    const failing = {
      id: 2,
      name: 'lint',
      status: 'completed',
      conclusion: 'failure',
      output: 'src/a.ts:1 no-unused-vars',
    } as const;
    const step = nextStep(headFacts({ checks: { checkRuns: [greenCheck, failing] } }));
    expect(step).toMatchObject({
      kind: 'send-back',
      because: 'checks-failed',
      failedChecks: [{ name: 'lint', conclusion: 'failure', output: 'src/a.ts:1 no-unused-vars' }],
    });
  });

  it('sends failing checks back before spending a review on them', () => {
    const failing = { id: 2, name: 'ci', status: 'completed', conclusion: 'timed_out' } as const;
    const step = nextStep(headFacts({ reviews: [], checks: { checkRuns: [failing] } }));
    expect(step).toMatchObject({ kind: 'send-back', because: 'checks-failed' });
  });

  it('treats a failing commit status like a failing check run', () => {
    const step = nextStep(
      headFacts({ checks: { statuses: [{ context: 'ci/jenkins', state: 'error' }] } }),
    );
    expect(step).toMatchObject({ kind: 'send-back', because: 'checks-failed' });
  });

  it('fails the task when failing checks have used up the rounds', () => {
    const failing = { id: 2, name: 'ci', status: 'completed', conclusion: 'failure' } as const;
    const step = nextStep(
      headFacts({
        checks: { checkRuns: [failing] },
        entry: { reworkRounds: 1 },
        config: { maxAttempts: 1 },
      }),
    );
    expect(step).toMatchObject({ kind: 'fail' });
  });

  it('waits for running checks and never merges before they finish', () => {
    const running = { id: 3, name: 'test', status: 'in_progress', conclusion: null } as const;
    const step = nextStep(headFacts({ checks: { checkRuns: [running] } }));
    expect(step).toMatchObject({ kind: 'wait', for: 'checks' });
    // A running check announces its end with a webhook: no polling.
    expect(step).not.toHaveProperty('recheck');
  });

  it('waits for a pending commit status', () => {
    const step = nextStep(
      headFacts({ checks: { statuses: [{ context: 'ci', state: 'pending' }] } }),
    );
    expect(step).toMatchObject({ kind: 'wait', for: 'checks' });
  });

  it('judges the latest run of a re-run check', () => {
    const failedFirst = {
      id: 1,
      name: 'test',
      status: 'completed',
      conclusion: 'failure',
    } as const;
    const passedOnRerun = { ...failedFirst, id: 5, conclusion: 'success' } as const;
    const step = nextStep(headFacts({ checks: { checkRuns: [passedOnRerun, failedFirst] } }));
    expect(step).toMatchObject({ kind: 'merge' });
  });

  it('waits for a required check that has not reported yet', () => {
    const step = nextStep(headFacts({ config: { requiredChecks: ['test', 'build'] } }));
    expect(step).toMatchObject({ kind: 'wait', for: 'checks' });
    expect(step.kind === 'wait' && step.reason).toContain('build');
  });

  it('ignores a failing check that is not required when named checks are configured', () => {
    const optional = {
      id: 9,
      name: 'coverage',
      status: 'completed',
      conclusion: 'failure',
    } as const;
    const step = nextStep(
      headFacts({
        checks: { checkRuns: [greenCheck, optional] },
        config: { requiredChecks: ['test'] },
      }),
    );
    expect(step).toMatchObject({ kind: 'merge' });
  });

  it('merges without looking at checks when requiredChecks is none', () => {
    const failing = { id: 2, name: 'ci', status: 'completed', conclusion: 'failure' } as const;
    const step = nextStep(
      headFacts({ checks: { checkRuns: [failing] }, config: { requiredChecks: 'none' } }),
    );
    expect(step).toMatchObject({ kind: 'merge' });
  });

  it('with requiredChecks all, waits for CI to report anything, then treats none as none', () => {
    const nothingYet = headFacts({ checks: { checkRuns: [], noChecksGraceExpired: false } });
    expect(nextStep(nothingYet)).toMatchObject({ kind: 'wait', for: 'checks', recheck: true });
    const graceOver = headFacts({ checks: { checkRuns: [], noChecksGraceExpired: true } });
    expect(nextStep(graceOver)).toMatchObject({ kind: 'merge' });
  });
});

describe('nextStep: keeping the PR up to date', () => {
  it('updates the branch itself (no agent) when the base moved, with the configured method', () => {
    const step = nextStep(
      headFacts({
        base: { sha: NEW_BASE, headIsUpToDate: false },
        config: { updateMethod: 'merge' },
      }),
    );
    expect(step).toMatchObject({ kind: 'update-branch', method: 'merge', baseSha: NEW_BASE });
  });

  it('updates before running checks or review on a stale head: they must judge the commit to be merged', () => {
    const failing = { id: 2, name: 'ci', status: 'completed', conclusion: 'failure' } as const;
    const step = nextStep(
      headFacts({
        base: { sha: NEW_BASE, headIsUpToDate: false },
        reviews: [],
        checks: { checkRuns: [failing] },
      }),
    );
    expect(step).toMatchObject({ kind: 'update-branch' });
  });

  it("sends a real conflict (the app's update of this base failed) to the worker", () => {
    const step = nextStep(
      headFacts({
        base: { sha: NEW_BASE, headIsUpToDate: false },
        entry: { conflictOnBaseSha: NEW_BASE },
      }),
    );
    expect(step).toMatchObject({
      kind: 'send-back',
      because: 'conflict',
      baseSha: NEW_BASE,
      round: 1,
    });
  });

  it('tries a clean update again when the base moved past the commit it conflicted with', () => {
    const step = nextStep(
      headFacts({
        base: { sha: NEW_BASE, headIsUpToDate: false },
        entry: { conflictOnBaseSha: BASE },
      }),
    );
    expect(step).toMatchObject({ kind: 'update-branch', baseSha: NEW_BASE });
  });

  it('fails when a conflict would need a round beyond maxAttempts', () => {
    const step = nextStep(
      headFacts({
        base: { sha: NEW_BASE, headIsUpToDate: false },
        entry: { conflictOnBaseSha: NEW_BASE, reworkRounds: 3 },
      }),
    );
    expect(step).toMatchObject({ kind: 'fail' });
  });

  it('sends requested changes back before updating (the worker rebuilds anyway)', () => {
    const step = nextStep(
      headFacts({
        base: { sha: NEW_BASE, headIsUpToDate: false },
        reviews: [review({ state: 'CHANGES_REQUESTED' })],
      }),
    );
    expect(step).toMatchObject({ kind: 'send-back', because: 'changes-requested' });
  });

  it('waits while GitHub computes mergeability, and when it says not mergeable on an up-to-date head', () => {
    expect(nextStep(headFacts({ pr: { mergeable: null } }))).toMatchObject({
      kind: 'wait',
      for: 'mergeability',
      recheck: true,
    });
    expect(nextStep(headFacts({ pr: { mergeable: false } }))).toMatchObject({
      kind: 'wait',
      for: 'mergeability',
    });
  });
});

describe('nextStep: human review required', () => {
  it('does not merge on the supervisor approval alone', () => {
    const step = nextStep(headFacts({ config: { humanReviewRequired: true } }));
    expect(step).toMatchObject({ kind: 'wait', for: 'human-approval' });
  });

  it('merges once a person with write access approved', () => {
    const step = nextStep(
      headFacts({
        config: { humanReviewRequired: true },
        reviews: [supervisorApproval(), personReview('carol', 'APPROVED')],
      }),
    );
    expect(step).toMatchObject({ kind: 'merge' });
  });

  it("an outsider's approval does not satisfy it", () => {
    const step = nextStep(
      headFacts({
        config: { humanReviewRequired: true },
        reviews: [supervisorApproval(), personReview('mallory', 'APPROVED', { trusted: false })],
      }),
    );
    expect(step).toMatchObject({ kind: 'wait', for: 'human-approval' });
  });

  it('a person approval of an older, different change does not satisfy it', () => {
    const stale = personReview('carol', 'APPROVED', { commitSha: OLD_HEAD, coversHead: false });
    const step = nextStep(
      headFacts({ config: { humanReviewRequired: true }, reviews: [supervisorApproval(), stale] }),
    );
    expect(step).toMatchObject({ kind: 'wait', for: 'human-approval' });
  });

  it('still waits for checks first', () => {
    const running = { id: 3, name: 'test', status: 'queued', conclusion: null } as const;
    const step = nextStep(
      headFacts({ config: { humanReviewRequired: true }, checks: { checkRuns: [running] } }),
    );
    expect(step).toMatchObject({ kind: 'wait', for: 'checks' });
  });
});

describe('nextStep: a head that holds the base in content (speculative CI)', () => {
  it('merges a head behind in history whose content already holds the base, without updating it or running CI again', () => {
    const step = nextStep(
      headFacts({ base: { sha: NEW_BASE, headIsUpToDate: false, contentUpToDate: true } }),
    );
    expect(step).toMatchObject({ kind: 'merge', method: 'squash', sha: HEAD });
    expect(step.reason).toContain('already holds the base');
  });

  it('merges with the merge method too (the merge commit gets the head tree)', () => {
    expect(
      nextStep(
        headFacts({
          base: { sha: NEW_BASE, headIsUpToDate: false, contentUpToDate: true },
          config: { mergeMethod: 'merge' },
        }),
      ),
    ).toMatchObject({ kind: 'merge', method: 'merge' });
  });

  it('updates it first with mergeMethod rebase: a rebase merge replays commits, so only history counts', () => {
    expect(
      nextStep(
        headFacts({
          base: { sha: NEW_BASE, headIsUpToDate: false, contentUpToDate: true },
          config: { mergeMethod: 'rebase' },
        }),
      ),
    ).toMatchObject({ kind: 'update-branch', baseSha: NEW_BASE });
  });

  it('waits for its checks (they ran on what would land) rather than updating it', () => {
    expect(
      nextStep(
        headFacts({
          base: { sha: NEW_BASE, headIsUpToDate: false, contentUpToDate: true },
          checks: { checkRuns: [{ ...greenCheck, status: 'in_progress', conclusion: null }] },
        }),
      ),
    ).toMatchObject({ kind: 'wait', for: 'checks' });
  });

  it('sends failing checks back to the worker like any head', () => {
    expect(
      nextStep(
        headFacts({
          base: { sha: NEW_BASE, headIsUpToDate: false, contentUpToDate: true },
          checks: { checkRuns: [{ ...greenCheck, conclusion: 'failure' }] },
          speculation: { landed: true },
        }),
      ),
    ).toMatchObject({ kind: 'send-back', because: 'checks-failed' });
  });

  it('merges a branch built on the PR ahead once that PR landed as built', () => {
    expect(
      nextStep(
        headFacts({
          base: { sha: NEW_BASE, headIsUpToDate: false, contentUpToDate: true },
          speculation: { landed: true },
        }),
      ),
    ).toMatchObject({ kind: 'merge', sha: HEAD });
  });

  it('rebuilds from the PR’s own head when the PR ahead landed but the base moved on further', () => {
    expect(
      nextStep(
        headFacts({
          base: { sha: NEW_BASE, headIsUpToDate: false, contentUpToDate: false },
          speculation: { landed: true },
        }),
      ),
    ).toMatchObject({ kind: 'update-branch', baseSha: NEW_BASE, fromSha: OLD_HEAD });
  });
});

describe('nextStep: the PR ahead did not land (speculation dropped)', () => {
  it.each([
    [
      'the base did not move (the PR ahead was sent back or closed): up to date, green, approved',
      headFacts({ speculation: { landed: false } }),
    ],
    [
      'the base moved without it',
      headFacts({ base: { sha: NEW_BASE, headIsUpToDate: false }, speculation: { landed: false } }),
    ],
    [
      'changes are requested as well',
      headFacts({
        speculation: { landed: false },
        reviews: [personReview('alice', 'CHANGES_REQUESTED')],
      }),
    ],
    [
      'its checks failed as well (perhaps because of the PR ahead)',
      headFacts({
        speculation: { landed: false },
        checks: { checkRuns: [{ ...greenCheck, conclusion: 'failure' }] },
      }),
    ],
  ])(
    'puts the branch back to the PR’s own head before merging, reviewing or sending back: %s',
    (_, facts) => {
      expect(nextStep(facts)).toMatchObject({ kind: 'drop-speculation', fromSha: OLD_HEAD });
    },
  );

  it('still records a merge by a person and still waits while the epic is paused', () => {
    expect(
      nextStep(
        headFacts({
          pr: { state: 'closed', merged: true, mergedBy: 'carol' },
          speculation: { landed: false },
        }),
      ),
    ).toMatchObject({ kind: 'record-merged', by: 'person' });
    expect(
      nextStep(headFacts({ epic: { paused: true }, speculation: { landed: false } })),
    ).toMatchObject({ kind: 'wait', for: 'epic-paused' });
  });
});
