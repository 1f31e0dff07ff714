import { describe, expect, it } from 'vitest';
import { admitTasks, type AdmissionInput } from '../../../../src/agents/worker/admission.js';
import type { TaskState } from '../../../../src/db/schema.js';

const input = (overrides: Partial<AdmissionInput>): AdmissionInput => ({
  waiting: [],
  stateOf: new Map(),
  runningTotal: 0,
  runningByEpic: new Map(),
  globalLimit: 4,
  epicLimit: new Map([
    [1, 3],
    [2, 3],
  ]),
  activeEpics: new Set([1, 2]),
  ...overrides,
});
const waiting = (taskId: number, epicId = 1, dependsOn: number[] = []) => ({
  taskId,
  epicId,
  dependsOn,
});

describe('which waiting tasks start', () => {
  it('starts tasks in order up to the per-epic limit; the rest wait in order', () => {
    const decision = admitTasks(
      input({ waiting: [1, 2, 3, 4, 5].map((id) => waiting(id)), epicLimit: new Map([[1, 2]]) }),
    );
    expect(decision.start).toEqual([1, 2]);
    expect(decision.waiting).toEqual([3, 4, 5].map((taskId) => ({ taskId, reason: 'epic-limit' })));
  });

  it('counts workers already running against both limits', () => {
    const decision = admitTasks(
      input({
        waiting: [waiting(1, 1), waiting(2, 2), waiting(3, 2)],
        runningTotal: 3,
        runningByEpic: new Map([[1, 3]]),
      }),
    );
    expect(decision.start).toEqual([2]);
    expect(decision.waiting).toEqual([
      { taskId: 1, reason: 'epic-limit' },
      { taskId: 3, reason: 'global-limit' },
    ]);
  });

  it('waits for dependencies until they are merged, without taking a slot', () => {
    const stateOf = new Map<number, TaskState>([
      [10, 'REVIEW'],
      [11, 'COMPLETED'],
    ]);
    const decision = admitTasks(
      input({
        waiting: [waiting(1, 1, [10]), waiting(2, 1, [11]), waiting(3)],
        stateOf,
        globalLimit: 2,
      }),
    );
    expect(decision.start).toEqual([2, 3]);
    expect(decision.waiting).toEqual([{ taskId: 1, reason: 'dependencies' }]);
  });

  it('blocks a task whose dependency failed or is blocked', () => {
    const stateOf = new Map<number, TaskState>([
      [10, 'FAILED'],
      [11, 'BLOCKED'],
    ]);
    const decision = admitTasks(
      input({ waiting: [waiting(1, 1, [10]), waiting(2, 1, [11])], stateOf }),
    );
    expect(decision.start).toEqual([]);
    expect(decision.blocked.map((b) => b.taskId)).toEqual([1, 2]);
    expect(decision.blocked[0]?.reason).toMatch(/task 10/);
  });

  it('starts nothing for an epic that is paused, planning or blocked', () => {
    const decision = admitTasks(
      input({ waiting: [waiting(1, 1), waiting(2, 2)], activeEpics: new Set([2]) }),
    );
    expect(decision.start).toEqual([2]);
    expect(decision.waiting).toEqual([{ taskId: 1, reason: 'epic-inactive' }]);
  });

  it('follows the caller’s order, so a fairness policy can interleave epics', () => {
    const decision = admitTasks(
      input({ waiting: [waiting(5, 2), waiting(1, 1), waiting(6, 2)], globalLimit: 2 }),
    );
    expect(decision.start).toEqual([5, 1]);
  });
});
