import { DelayedError, type Job } from 'bullmq';
import { admitTaskAttempt, type Admission } from '../../worker/dispatch.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';

export type { Admission };

type AdmissionDeps = Pick<OrchestratorDeps, 'db' | 'env' | 'repoConfigs'>;

/**
 * The gate a worker passes before it starts an agent on a task: is there a
 * free slot (MAX_CONCURRENT_AGENTS, MAX_AGENTS_PER_INSTALLATION, the epic's
 * maxParallelTasks), is the epic neither paused nor over budget, is it this
 * epic's turn — and is `attempt` the task's next attempt? It is the
 * dispatcher's own gate (worker/dispatch.ts) with the orchestrator's cached
 * configs: one rule decides every start.
 *
 * Admitted means claimed: the task is ASSIGNED with its attempts count at
 * `attempt`, so two processes never hand out the same last slot.
 */
export function admitTask(
  deps: AdmissionDeps,
  taskId: number,
  attempt: number,
): Promise<Admission> {
  return admitTaskAttempt(deps, { configOf: deps.repoConfigs }, taskId, attempt);
}

/** How long a task that was not admitted waits before it asks again. */
export const admissionRetryMs = 15_000;

/**
 * For the worker's `implement-task` processor: the job goes back to the
 * queue, delayed, keeping its id, and asks again later (the orchestrator's
 * allocation pass promotes it as soon as a slot is its). Throws BullMQ's
 * DelayedError, which tells the worker the job was moved, not failed.
 */
export async function waitForAgentSlot(job: Job, delayMs = admissionRetryMs): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, job.token);
  throw new DelayedError();
}
