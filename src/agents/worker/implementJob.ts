import type { Epic, Task } from '../../db/schema.js';
import { jobIds } from '../../queues/jobs.js';
import type { JobQueues } from '../../queues/producer.js';

/** The job id of one attempt of a task: a re-queued attempt is a new job, a repeated nudge is not. */
export function implementTaskJobId(taskId: number, attempt: number): string {
  return jobIds.forEntity('implement-task', taskId, attempt);
}

/**
 * Makes sure the `implement-task` job of this attempt will run now: added if
 * there is none (or it was lost), woken if it sleeps after an earlier "no
 * slot" answer, added again if it ended while its task still waits to start.
 * Returns whether it changed anything. It names no session to resume: a
 * new attempt starts fresh unless the worker finds its previous run was
 * interrupted; only an answered question carries its session on.
 */
export async function ensureImplementJob(
  deps: { queues: JobQueues },
  epic: Epic,
  task: Task,
  attempt: number,
): Promise<boolean> {
  const jobId = implementTaskJobId(task.id, attempt);
  const existing = await deps.queues.queue('task').getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state === 'delayed') {
      await existing.promote().catch(() => undefined);
      return true;
    }
    if (state !== 'completed' && state !== 'failed') return false;
    await existing.remove();
  }
  await deps.queues.enqueue(
    'implement-task',
    {
      taskId: task.id,
      installationId: epic.installationId,
      owner: epic.repoOwner,
      repo: epic.repoName,
      attempt,
    },
    { jobId },
  );
  return true;
}
