import { DelayedError, type Job } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import { taskStateMachine } from '../../../domain/taskStateMachine.js';
import { epics, tasks } from '../../../db/schema.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { recordDecision } from '../orchestratorAgent.js';
import { loadAllocationSnapshot, startTaskDecision } from './allocationSnapshot.js';
import { chooseTasksToStart, whyWaiting } from './chooseTasksToStart.js';

export type Admission =
  | { admitted: true }
  /** `stale`: the job is of an attempt that is over (the orchestrator re-queued its task): drop it. */
  | { admitted: false; reason: string; stale?: true };

type AdmissionDeps = Pick<OrchestratorDeps, 'db' | 'env' | 'repoConfigs'>;

/**
 * The gate a worker passes before it starts an agent on a task: is there a
 * free slot (MAX_CONCURRENT_AGENTS, MAX_AGENTS_PER_INSTALLATION, the epic's
 * maxParallelTasks), is the epic neither paused nor over budget, is it this
 * epic's turn — and is `attempt` the task's next attempt? A job of an attempt
 * already counted is stale: e.g. a stalled job BullMQ runs again after the
 * orchestrator re-queued its task as a new attempt.
 *
 * Admitted means claimed: the task moves PENDING → ASSIGNED and its attempts
 * count becomes `attempt`, in one transaction under a lock every admission
 * takes, so two processes never hand out the same last slot.
 */
export async function admitTask(
  deps: AdmissionDeps,
  taskId: number,
  attempt: number,
): Promise<Admission> {
  const limits = {
    global: deps.env.MAX_CONCURRENT_AGENTS,
    perInstallation: deps.env.MAX_AGENTS_PER_INSTALLATION,
  };
  // Configs come from GitHub: read them before taking the lock (they are cached).
  const active = await deps.db.select().from(epics).where(eq(epics.state, 'IN_PROGRESS'));
  for (const epic of active) await deps.repoConfigs(epic);

  return deps.db.transaction(async (tx): Promise<Admission> => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('factory:allocation'))`);
    const snapshot = await loadAllocationSnapshot(tx, deps.repoConfigs, limits);
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, taskId));
    if (!task) return { admitted: false, reason: 'the task is gone' };
    if (task.attempts >= attempt) {
      return {
        admitted: false,
        stale: true,
        reason: `attempt ${attempt} is over (${task.attempts} attempts counted)`,
      };
    }
    const chosen = chooseTasksToStart(snapshot.input).some((start) => start.taskId === taskId);
    const epic = snapshot.epics.get(task.epicId);
    if (!chosen || !epic) return { admitted: false, reason: whyWaiting(taskId, snapshot.input) };
    const [claimed] = await tx
      .update(tasks)
      .set({ state: taskStateMachine.transition('PENDING', 'ASSIGNED'), attempts: attempt })
      .where(
        and(eq(tasks.id, taskId), eq(tasks.state, 'PENDING'), eq(tasks.attempts, task.attempts)),
      )
      .returning({ id: tasks.id });
    if (!claimed) return { admitted: false, reason: 'another worker claimed the task' };
    const load = snapshot.input.epics.find((candidate) => candidate.epicId === epic.id);
    await recordDecision(tx, {
      installationId: epic.installationId,
      epicId: epic.id,
      taskId,
      decision: startTaskDecision,
      reasoning: `attempt ${attempt}: a slot is free and it is this epic's turn (${load?.running ?? 0} of its tasks running)`,
      context: { attempt, limits, running: snapshot.input.epics.map((e) => [e.epicId, e.running]) },
    });
    return { admitted: true };
  });
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
