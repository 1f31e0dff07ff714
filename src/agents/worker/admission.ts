import type { TaskState } from '../../db/schema.js';

/**
 * Pure: which waiting tasks may start now. A task starts when every task it
 * depends on is merged (COMPLETED), its epic is running and not paused, and
 * there is room under the global and per-epic limits on running workers.
 * Tasks are considered in the order given — the caller's fairness policy
 * (the orchestrator may interleave epics) — so tasks beyond the limits wait
 * in that order; a task waiting on its dependencies takes no slot.
 */

export interface WaitingTask {
  taskId: number;
  epicId: number;
  dependsOn: readonly number[];
}

export interface AdmissionInput {
  /** PENDING tasks in the order they should start. */
  waiting: readonly WaitingTask[];
  /** The state of every task a waiting task depends on. */
  stateOf: ReadonlyMap<number, TaskState>;
  /** Workers running now (tasks ASSIGNED or IN_PROGRESS), in total and per epic. */
  runningTotal: number;
  runningByEpic: ReadonlyMap<number, number>;
  /** MAX_CONCURRENT_AGENTS. */
  globalLimit: number;
  /** `maxParallelTasks` of each epic's repository. */
  epicLimit: ReadonlyMap<number, number>;
  /** Epics that may start work: IN_PROGRESS and not paused. */
  activeEpics: ReadonlySet<number>;
}

export type WaitReason = 'dependencies' | 'epic-limit' | 'global-limit' | 'epic-inactive';

export interface AdmissionDecision {
  start: number[];
  waiting: { taskId: number; reason: WaitReason }[];
  /** Tasks that can never start as things are: a dependency failed or is blocked. */
  blocked: { taskId: number; reason: string }[];
}

export function admitTasks(input: AdmissionInput): AdmissionDecision {
  const decision: AdmissionDecision = { start: [], waiting: [], blocked: [] };
  let total = input.runningTotal;
  const byEpic = new Map(input.runningByEpic);
  for (const task of input.waiting) {
    if (!input.activeEpics.has(task.epicId)) {
      decision.waiting.push({ taskId: task.taskId, reason: 'epic-inactive' });
      continue;
    }
    const stuck = task.dependsOn.filter((id) => {
      const state = input.stateOf.get(id);
      return state === 'FAILED' || state === 'BLOCKED';
    });
    if (stuck.length > 0) {
      decision.blocked.push({
        taskId: task.taskId,
        reason: `depends on task ${stuck.join(', ')}, which cannot be merged as things are`,
      });
      continue;
    }
    if (!task.dependsOn.every((id) => input.stateOf.get(id) === 'COMPLETED')) {
      decision.waiting.push({ taskId: task.taskId, reason: 'dependencies' });
      continue;
    }
    const inEpic = byEpic.get(task.epicId) ?? 0;
    if (inEpic >= (input.epicLimit.get(task.epicId) ?? 1)) {
      decision.waiting.push({ taskId: task.taskId, reason: 'epic-limit' });
      continue;
    }
    if (total >= input.globalLimit) {
      decision.waiting.push({ taskId: task.taskId, reason: 'global-limit' });
      continue;
    }
    decision.start.push(task.taskId);
    total += 1;
    byEpic.set(task.epicId, inEpic + 1);
  }
  return decision;
}
