import { describe, expect, it } from 'vitest';
import { leftBusyByDeadRun } from '../../../../src/agents/worker/workerAgent.js';

describe('leftBusyByDeadRun', () => {
  it('is true for an agent still BUSY with the job that is starting now', () => {
    expect(
      leftBusyByDeadRun(
        { state: 'BUSY', currentJobId: 'implement-task-3-attempt-1' },
        'implement-task-3-attempt-1',
      ),
    ).toBe(true);
  });

  it('is false for an agent busy with another job: that run may be alive', () => {
    expect(
      leftBusyByDeadRun(
        { state: 'BUSY', currentJobId: 'rework-task-3-1' },
        'implement-task-3-attempt-1',
      ),
    ).toBe(false);
    expect(
      leftBusyByDeadRun({ state: 'BUSY', currentJobId: null }, 'implement-task-3-attempt-1'),
    ).toBe(false);
  });

  it('is false for an agent that is not busy (its run ended, or was already buried)', () => {
    for (const state of ['IDLE', 'WAITING', 'FAILED'] as const) {
      expect(leftBusyByDeadRun({ state, currentJobId: 'job-1' }, 'job-1')).toBe(false);
    }
  });
});
