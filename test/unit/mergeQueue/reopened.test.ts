import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../../src/db/schema.js';
import { reopenDecision, type ReopenedFacts } from '../../../src/mergeQueue/reopened.js';

const facts = (
  pr: Partial<ReopenedFacts['pr']> = {},
  task: Partial<ReopenedFacts['task']> = {},
): ReopenedFacts => ({
  pr: { number: 7, state: 'open', merged: false, ...pr },
  task: { state: 'BLOCKED', prNumber: 7, ...task },
});

describe('reopenDecision', () => {
  it('unblocks the task and re-queues it when its closed PR is open again', () => {
    expect(reopenDecision(facts())).toEqual({
      kind: 're-enter',
      unblock: true,
      reason: 'PR #7 was reopened',
    });
  });

  it('only makes sure of the queue entry when an earlier run already unblocked the task', () => {
    expect(reopenDecision(facts({}, { state: 'REVIEW' }))).toMatchObject({
      kind: 're-enter',
      unblock: false,
    });
  });

  it('ignores a PR that was closed again or merged since the webhook', () => {
    expect(reopenDecision(facts({ state: 'closed' }))).toEqual({
      kind: 'ignore',
      reason: 'PR #7 is closed again',
    });
    expect(reopenDecision(facts({ state: 'closed', merged: true }))).toEqual({
      kind: 'ignore',
      reason: 'PR #7 is merged',
    });
  });

  it('ignores an old PR of a task that has a new one', () => {
    expect(reopenDecision(facts({}, { prNumber: 9 }))).toEqual({
      kind: 'ignore',
      reason: "the task's pull request is now #9",
    });
  });

  it.each<TaskState>(['PENDING', 'ASSIGNED', 'IN_PROGRESS', 'FAILED', 'COMPLETED'])(
    'leaves a %s task alone',
    (state) => {
      expect(reopenDecision(facts({}, { state }))).toEqual({
        kind: 'ignore',
        reason: `the task is ${state}`,
      });
    },
  );
});
