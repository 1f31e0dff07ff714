import { describe, expect, it } from 'vitest';
import { isRecoveryDecision, recoveringFrom } from '../../../src/domain/recovery.js';

describe('recovery decisions', () => {
  it('names every kind of takeover and repair after a crash, and nothing else', () => {
    for (const decision of [
      'lease-taken-over: merge-queue-entry:3',
      'lease-released: merge-queue-entry:3',
      'agent-dead:requeue',
      'recovered: run taken over',
      'recovered: merge found done',
    ]) {
      expect(isRecoveryDecision(decision), decision).toBe(true);
    }
    for (const decision of [
      'merge-queue review: APPROVE',
      'merge-queue merged',
      'opened PR #4 for task #2',
      'park-epic',
      'repair:pr-closed',
    ]) {
      expect(isRecoveryDecision(decision), decision).toBe(false);
    }
  });

  it('is recovering while a recovery is the latest decision, and no longer once something moved', () => {
    const at = new Date('2026-12-02T10:00:00Z');
    expect(
      recoveringFrom({
        decision: 'lease-taken-over: merge-queue-entry:3',
        reasoning: 'review-abc held by job x lapsed',
        createdAt: at,
      }),
    ).toEqual({
      decision: 'lease-taken-over: merge-queue-entry:3',
      reason: 'review-abc held by job x lapsed',
      since: at,
    });
    expect(
      recoveringFrom({ decision: 'merge-queue review: APPROVE', reasoning: '', createdAt: at }),
    ).toBeNull();
    expect(recoveringFrom(undefined)).toBeNull();
  });
});
