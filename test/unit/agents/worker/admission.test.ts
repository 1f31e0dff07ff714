import { describe, expect, it } from 'vitest';
import type {
  AllocationInput,
  EpicLoad,
} from '../../../../src/agents/orchestrator/allocation/chooseTasksToStart.js';
import { decideDispatch, type DispatchInput } from '../../../../src/agents/worker/admission.js';
import type { TaskState } from '../../../../src/db/schema.js';

const since = new Date('2026-01-01T12:00:00Z');
const epic = (epicId: number, over: Partial<EpicLoad> = {}): EpicLoad => ({
  epicId,
  installationId: 1,
  running: 0,
  maxParallelTasks: 3,
  paused: false,
  lastStartedAt: null,
  ...over,
});
const ready = (taskId: number, epicId: number, position = taskId) => ({
  taskId,
  epicId,
  position,
  waitingSince: since,
});
const input = (
  allocation: Partial<AllocationInput>,
  pending: DispatchInput['pending'] = [],
  states: [number, TaskState][] = [],
): DispatchInput => ({
  allocation: {
    limits: { global: 4, perInstallation: 10 },
    epics: [epic(1), epic(2)],
    waiting: [],
    ...allocation,
  },
  pending,
  stateOf: new Map(states),
});

describe('the dispatcher’s decision', () => {
  it('starts ready tasks by the orchestrator’s fair rule: epics interleave, limits hold', () => {
    const decision = decideDispatch(
      input({
        limits: { global: 3, perInstallation: 10 },
        waiting: [ready(1, 1), ready(2, 1), ready(3, 1), ready(4, 2)],
      }),
    );
    // Epic 1 asked first for three tasks, yet epic 2 gets the second slot.
    expect(decision.start.map((s) => s.taskId)).toEqual([1, 4, 2]);
    expect(decision.blocked).toEqual([]);
  });

  it('keeps to the per-epic limit and counts the running workers', () => {
    const decision = decideDispatch(
      input({
        limits: { global: 5, perInstallation: 10 },
        epics: [epic(1, { running: 1, maxParallelTasks: 2 }), epic(2, { running: 3 })],
        waiting: [ready(1, 1), ready(2, 1), ready(5, 2)],
      }),
    );
    expect(decision.start.map((s) => s.taskId)).toEqual([1]);
  });

  it('blocks a pending task whose dependency failed or is blocked, not one of a paused epic', () => {
    const decision = decideDispatch(
      input(
        { epics: [epic(1), epic(2, { paused: true })] },
        [
          { taskId: 1, epicId: 1, dependsOn: [10] },
          { taskId: 2, epicId: 1, dependsOn: [11] },
          { taskId: 3, epicId: 1, dependsOn: [12] },
          { taskId: 4, epicId: 2, dependsOn: [13] },
        ],
        [
          [10, 'FAILED'],
          [11, 'BLOCKED'],
          [12, 'REVIEW'],
          [13, 'FAILED'],
        ],
      ),
    );
    expect(decision.blocked.map((b) => b.taskId)).toEqual([1, 2]);
    expect(decision.blocked[0]?.reason).toMatch(/task 10/);
    expect(decision.start).toEqual([]);
  });

  it('takes another order rule, but only among the ready tasks, each once', () => {
    const decision = decideDispatch(input({ waiting: [ready(1, 1), ready(2, 2)] }), () => [
      { taskId: 2, epicId: 2 },
      { taskId: 99, epicId: 1 },
      { taskId: 2, epicId: 2 },
      { taskId: 1, epicId: 1 },
    ]);
    expect(decision.start.map((s) => s.taskId)).toEqual([2, 1]);
  });
});
