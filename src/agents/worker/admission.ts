import type { TaskState } from '../../db/schema.js';
import {
  chooseTasksToStart,
  type AllocationInput,
  type TaskStart,
} from '../orchestrator/allocation/chooseTasksToStart.js';

/**
 * Pure: what the dispatcher does with the waiting tasks. Which of the ready
 * ones start (dependencies merged, under the global, per-installation and
 * per-epic limits, epic not paused or over budget) is the `order` rule's
 * decision — the orchestrator's fair `chooseTasksToStart` unless a caller
 * supplies another — so every start in Factory, whether the flow dispatches
 * after a task finishes or the orchestrator's pass allocates free slots, is
 * decided by one rule. What this adds: a task whose dependency failed or is
 * blocked can never start as things are, so it is blocked with the reason
 * instead of waiting forever.
 */

/** Chooses the starts among the ready tasks of `input` (the fairness rule). */
export type StartOrder = (input: AllocationInput) => TaskStart[];

export interface PendingTask {
  taskId: number;
  epicId: number;
  dependsOn: readonly number[];
}

export interface DispatchInput {
  allocation: AllocationInput;
  /** Every PENDING task of the active epics, ready or not. */
  pending: readonly PendingTask[];
  /** The state of every task of the active epics. */
  stateOf: ReadonlyMap<number, TaskState>;
}

export interface DispatchDecision {
  start: TaskStart[];
  /** Tasks that can never start as things are: a dependency failed or is blocked. */
  blocked: { taskId: number; reason: string }[];
}

export function decideDispatch(
  input: DispatchInput,
  order: StartOrder = chooseTasksToStart,
): DispatchDecision {
  const paused = new Set(input.allocation.epics.filter((e) => e.paused).map((e) => e.epicId));
  const blocked: DispatchDecision['blocked'] = [];
  for (const task of input.pending) {
    if (paused.has(task.epicId)) continue; // nothing of a paused epic changes until it resumes
    const stuck = task.dependsOn.filter((id) => {
      const state = input.stateOf.get(id);
      return state === 'FAILED' || state === 'BLOCKED';
    });
    if (stuck.length > 0) {
      blocked.push({
        taskId: task.taskId,
        reason: `depends on task ${stuck.join(', ')}, which cannot be merged as things are`,
      });
    }
  }
  // A custom order may only pick among the ready tasks, each once.
  const ready = new Set(input.allocation.waiting.map((task) => task.taskId));
  const start = order(input.allocation).filter((pick) => ready.delete(pick.taskId));
  return { start, blocked };
}
