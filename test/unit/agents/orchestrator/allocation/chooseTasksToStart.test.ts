import { describe, expect, it } from 'vitest';
import {
  chooseTasksToStart,
  whyWaiting,
  type AllocationInput,
  type EpicLoad,
  type WaitingTask,
} from '../../../../../src/agents/orchestrator/allocation/chooseTasksToStart.js';

const t0 = new Date('2026-01-01T12:00:00Z').getTime();
const epic = (epicId: number, over: Partial<EpicLoad> = {}): EpicLoad => ({
  epicId,
  installationId: 1,
  running: 0,
  maxParallelTasks: 10,
  paused: false,
  lastStartedAt: null,
  ...over,
});
/** Tasks of an epic, ids epicId*100+i, created `minute` minutes after t0 plus i seconds. */
const tasksOf = (epicId: number, count: number, minute = 0): WaitingTask[] =>
  Array.from({ length: count }, (_, i) => ({
    taskId: epicId * 100 + i,
    epicId,
    position: i,
    waitingSince: new Date(t0 + minute * 60_000 + i * 1000),
  }));
const limits = { global: 2, perInstallation: 10 };

describe('chooseTasksToStart', () => {
  it('starts nothing when every slot is taken', () => {
    const input: AllocationInput = {
      limits,
      epics: [epic(1, { running: 2 }), epic(2)],
      waiting: [...tasksOf(1, 2), ...tasksOf(2, 2)],
    };
    expect(chooseTasksToStart(input)).toEqual([]);
  });

  it('spreads the slots over epics instead of filling them from the biggest one', () => {
    const input: AllocationInput = {
      limits,
      epics: [epic(1), epic(2)],
      waiting: [...tasksOf(1, 5), ...tasksOf(2, 1, 10)],
    };
    expect(chooseTasksToStart(input)).toEqual([
      { taskId: 100, epicId: 1 },
      { taskId: 200, epicId: 2 },
    ]);
  });

  it('gives a freed slot to the epic running the fewest agents', () => {
    const input: AllocationInput = {
      limits: { global: 3, perInstallation: 10 },
      epics: [epic(1, { running: 1 }), epic(2, { running: 1 }), epic(3)],
      waiting: [...tasksOf(1, 3), ...tasksOf(2, 3), ...tasksOf(3, 3, 30)],
    };
    expect(chooseTasksToStart(input)).toEqual([{ taskId: 300, epicId: 3 }]);
  });

  it('among equally loaded epics, serves the one started longest ago (round-robin)', () => {
    const input: AllocationInput = {
      limits: { global: 1, perInstallation: 10 },
      epics: [
        epic(1, { lastStartedAt: new Date(t0 + 5000) }),
        epic(2, { lastStartedAt: new Date(t0 + 1000) }),
      ],
      waiting: [...tasksOf(1, 1), ...tasksOf(2, 1, 9)],
    };
    expect(chooseTasksToStart(input)).toEqual([{ taskId: 200, epicId: 2 }]);
  });

  it('among equally loaded epics never started, serves the one that has waited longest', () => {
    const input: AllocationInput = {
      limits: { global: 1, perInstallation: 10 },
      epics: [epic(1), epic(2)],
      waiting: [...tasksOf(1, 1, 5), ...tasksOf(2, 1, 1)],
    };
    expect(chooseTasksToStart(input)).toEqual([{ taskId: 200, epicId: 2 }]);
  });

  it('starts an epic’s tasks in plan order', () => {
    const waiting = tasksOf(1, 3).map((task, i) => ({ ...task, position: 3 - i }));
    const input: AllocationInput = { limits, epics: [epic(1)], waiting };
    expect(chooseTasksToStart(input).map((start) => start.taskId)).toEqual([102, 101]);
  });

  it('respects the epic’s maxParallelTasks', () => {
    const input: AllocationInput = {
      limits: { global: 10, perInstallation: 10 },
      epics: [epic(1, { maxParallelTasks: 2, running: 1 })],
      waiting: tasksOf(1, 5),
    };
    expect(chooseTasksToStart(input)).toEqual([{ taskId: 100, epicId: 1 }]);
  });

  it('respects the per-installation limit and fills the other installation', () => {
    const input: AllocationInput = {
      limits: { global: 10, perInstallation: 2 },
      epics: [epic(1, { installationId: 1, running: 1 }), epic(2, { installationId: 2 })],
      waiting: [...tasksOf(1, 5), ...tasksOf(2, 5)],
    };
    const starts = chooseTasksToStart(input);
    expect(starts.filter((s) => s.epicId === 1)).toHaveLength(1);
    expect(starts.filter((s) => s.epicId === 2)).toHaveLength(2);
  });

  it('starts nothing for a paused epic (a person paused it, or its budget is spent)', () => {
    const input: AllocationInput = {
      limits,
      epics: [epic(1, { paused: true }), epic(2)],
      waiting: [...tasksOf(1, 2), ...tasksOf(2, 1)],
    };
    expect(chooseTasksToStart(input)).toEqual([{ taskId: 200, epicId: 2 }]);
  });

  it('ignores waiting tasks whose epic is not active', () => {
    expect(chooseTasksToStart({ limits, epics: [], waiting: tasksOf(1, 2) })).toEqual([]);
  });

  it('lets no epic starve: 3 epics, 2 slots, each finishing one task at a time', () => {
    // Simulate: every round the task that has run longest finishes and the freed slot
    // is allocated again. Every epic must get work long before the others run dry.
    const waiting = [...tasksOf(1, 6), ...tasksOf(2, 6, 1), ...tasksOf(3, 6, 2)];
    const running: { taskId: number; epicId: number }[] = [];
    const startedOrder: number[] = [];
    const lastStartedAt = new Map<number, Date>();
    for (let round = 0; round < 12; round += 1) {
      const epics = [1, 2, 3].map((epicId) =>
        epic(epicId, {
          running: running.filter((r) => r.epicId === epicId).length,
          lastStartedAt: lastStartedAt.get(epicId) ?? null,
        }),
      );
      for (const start of chooseTasksToStart({ limits, epics, waiting })) {
        lastStartedAt.set(start.epicId, new Date(t0 + 3_600_000 + startedOrder.length * 1000));
        waiting.splice(
          waiting.findIndex((task) => task.taskId === start.taskId),
          1,
        );
        running.push(start);
        startedOrder.push(start.epicId);
      }
      running.shift();
    }
    expect(startedOrder.slice(0, 3).sort()).toEqual([1, 2, 3]);
    for (let i = 0; i + 3 <= startedOrder.length; i += 3) {
      // In any three consecutive starts, no epic appears more than twice.
      const window = startedOrder.slice(i, i + 3);
      for (const epicId of [1, 2, 3])
        expect(window.filter((e) => e === epicId).length).toBeLessThan(3);
    }
    const counts = [1, 2, 3].map((epicId) => startedOrder.filter((e) => e === epicId).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  describe('whyWaiting', () => {
    it('names the limit that holds a task back', () => {
      const base: AllocationInput = { limits, epics: [epic(1)], waiting: tasksOf(1, 1) };
      expect(whyWaiting(999, base)).toMatch(/not ready/);
      expect(whyWaiting(100, { ...base, epics: [] })).toMatch(/not active/);
      expect(whyWaiting(100, { ...base, epics: [epic(1, { paused: true })] })).toMatch(/paused/);
      expect(
        whyWaiting(100, { ...base, epics: [epic(1, { running: 2, maxParallelTasks: 2 })] }),
      ).toMatch(/2 of 2 parallel/);
      expect(
        whyWaiting(100, { ...base, epics: [epic(1, { running: 1 }), epic(2, { running: 1 })] }),
      ).toMatch(/MAX_CONCURRENT_AGENTS/);
      expect(
        whyWaiting(100, {
          ...base,
          limits: { global: 5, perInstallation: 1 },
          epics: [epic(1), epic(2, { running: 1 })],
        }),
      ).toMatch(/MAX_AGENTS_PER_INSTALLATION/);
      expect(whyWaiting(100, base)).toMatch(/ahead of it/);
    });
  });
});
