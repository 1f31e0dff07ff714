import { describe, expect, it } from 'vitest';
import { decideRecovery } from '../../../../../src/agents/orchestrator/health/recoveryDecision.js';

const base = { maxAttempts: 3, cause: 'no heartbeat for 400 s' };

describe('decideRecovery', () => {
  it('re-queues an implementing task as the next attempt, resuming the session', () => {
    const decision = decideRecovery({
      ...base,
      task: { state: 'IN_PROGRESS', attempts: 1 },
      jobAttempt: 1,
      sessionId: 'sess-1',
    });
    expect(decision).toMatchObject({ kind: 'requeue', attempt: 2, resumeSessionId: 'sess-1' });
    expect(decision.reason).toMatch(/attempt 1 of 3 .*no heartbeat.*attempt 2 resuming/);
  });

  it('starts afresh when the dead agent had no session yet', () => {
    const decision = decideRecovery({ ...base, task: { state: 'ASSIGNED', attempts: 1 } });
    expect(decision).toEqual(expect.objectContaining({ kind: 'requeue', attempt: 2 }));
    expect(decision).not.toHaveProperty('resumeSessionId');
  });

  it('counts the attempt from the job when the task never recorded it', () => {
    expect(
      decideRecovery({ ...base, task: { state: 'IN_PROGRESS', attempts: 0 }, jobAttempt: 2 }),
    ).toMatchObject({ kind: 'requeue', attempt: 3 });
    expect(decideRecovery({ ...base, task: { state: 'IN_PROGRESS', attempts: 0 } })).toMatchObject({
      kind: 'requeue',
      attempt: 2,
    });
  });

  it('fails the task with its reason when the last attempt died', () => {
    const decision = decideRecovery({
      ...base,
      task: { state: 'IN_PROGRESS', attempts: 3 },
      jobAttempt: 3,
    });
    expect(decision.kind).toBe('fail');
    expect(decision.reason).toMatch(/attempt 3 of 3 .*no heartbeat.*no attempts left/);
    expect(
      decideRecovery({ ...base, maxAttempts: 1, task: { state: 'ASSIGNED', attempts: 1 } }).kind,
    ).toBe('fail');
  });

  it('hands a task in review to the merge queue instead of re-implementing it', () => {
    expect(decideRecovery({ ...base, task: { state: 'REVIEW', attempts: 1 } }).kind).toBe(
      'hand-to-merge-queue',
    );
  });

  it('only releases the agent when there is nothing to recover', () => {
    expect(decideRecovery({ ...base, task: null }).kind).toBe('release-agent-only');
    for (const state of ['PENDING', 'BLOCKED', 'COMPLETED', 'FAILED'] as const) {
      expect(decideRecovery({ ...base, task: { state, attempts: 1 } }).kind).toBe(
        'release-agent-only',
      );
    }
  });
});

describe('decideRecovery for a rework round', () => {
  it('gives a round its worker died in back to the merge queue, not to a fresh attempt', () => {
    const decision = decideRecovery({
      ...base,
      task: { state: 'IN_PROGRESS', attempts: 1, reworkRound: 1 },
      sessionId: 'sess-1',
    });
    expect(decision.kind).toBe('hand-to-merge-queue');
    expect(decision.reason).toMatch(/rework round 1.*no heartbeat/);
  });

  it('re-queues an implementing task with no round as before', () => {
    expect(
      decideRecovery({ ...base, task: { state: 'IN_PROGRESS', attempts: 1, reworkRound: 0 } }),
    ).toMatchObject({ kind: 'requeue', attempt: 2 });
  });
});
