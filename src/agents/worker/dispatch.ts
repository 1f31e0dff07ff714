import { eq } from 'drizzle-orm';
import type { Database } from '../../db/connection.js';
import { tasks } from '../../db/schema.js';
import type { FactoryDeps } from '../../deps.js';
import { whyWaiting } from '../orchestrator/allocation/chooseTasksToStart.js';
import { claimStarts, type ClaimOptions } from './claimStarts.js';
import { ensureImplementJob } from './implementJob.js';

/**
 * The dispatcher: starts the waiting tasks that may start now, by the one
 * rule of claimStarts.ts. Called whenever room may have appeared — tasks were
 * created, a task left the running states (review, failed, retry), a
 * dependency was merged, an epic resumed — and by the orchestrator's
 * allocation pass, so a lost wake-up is found within one health interval.
 * Each claimed attempt gets its `implement-task` job (id = task and attempt:
 * adding it twice is a no-op); a claimed task whose job is sleeping or lost
 * gets it woken or added again.
 */

export type DispatchOptions = Omit<ClaimOptions, 'only'>;

export interface DispatchOutcome {
  /** Tasks claimed now. */
  start: number[];
  blocked: { taskId: number; reason: string }[];
  /** Tasks whose job was added or woken. */
  enqueued: number[];
}

type DispatchDeps = Pick<FactoryDeps, 'db' | 'env' | 'queues' | 'log'>;

export async function startWaitingTasks(
  deps: DispatchDeps,
  options: DispatchOptions,
): Promise<DispatchOutcome> {
  const { claimed, blocked, snapshot } = await claimStarts(deps, options);
  const enqueued: number[] = [];
  const claimedIds = new Set(claimed.map((task) => task.id));
  // The ones claimed now, and any claimed earlier whose job is not running (lost, or asleep).
  const assigned = [
    ...claimed,
    ...[...snapshot.tasks.values()].filter(
      (task) => task.state === 'ASSIGNED' && !claimedIds.has(task.id),
    ),
  ];
  for (const task of assigned) {
    const epic = snapshot.epics.get(task.epicId);
    if (epic && (await ensureImplementJob(deps, epic, task, task.attempts))) enqueued.push(task.id);
  }
  if (claimed.length > 0 || blocked.length > 0) {
    deps.log.info({ started: [...claimedIds], blocked }, 'tasks dispatched');
  }
  return { start: [...claimedIds], blocked, enqueued };
}

export type Admission =
  | { admitted: true }
  /** `stale`: the job is of an attempt that is over (its task was re-queued as a new one): drop it. */
  | { admitted: false; reason: string; stale?: true };

/**
 * The gate of an `implement-task` job: may it run attempt `attempt` of the
 * task now? Yes when the dispatcher claimed that attempt for it; when the
 * task still waits (the job was queued by intake or the allocation pass),
 * the claim is made here, by the same rule; a job of an attempt already
 * counted is stale.
 */
export async function admitTaskAttempt(
  deps: { db: Database; env: DispatchDeps['env'] },
  options: DispatchOptions,
  taskId: number,
  attempt: number,
): Promise<Admission> {
  const [task] = await deps.db.select().from(tasks).where(eq(tasks.id, taskId));
  if (!task) return { admitted: false, reason: 'the task is gone' };
  if (task.state === 'ASSIGNED' && task.attempts === attempt) return { admitted: true };
  if (task.attempts >= attempt) {
    return {
      admitted: false,
      stale: true,
      reason: `attempt ${attempt} is over (${task.attempts} attempts counted)`,
    };
  }
  const { claimed, snapshot } = await claimStarts(deps, { ...options, only: { taskId, attempt } });
  if (claimed.length > 0) return { admitted: true };
  const now = snapshot.tasks.get(taskId);
  if (now && now.state !== 'PENDING')
    return { admitted: false, reason: 'another worker claimed the task' };
  return { admitted: false, reason: whyWaiting(taskId, snapshot.input) };
}
