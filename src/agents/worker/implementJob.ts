import { and, desc, eq, isNotNull } from 'drizzle-orm';
import type { Database } from '../../db/connection.js';
import { agents, type Epic, type Task } from '../../db/schema.js';
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
 * Returns whether it changed anything. A crashed attempt's session is passed
 * on, so the next attempt can resume it.
 */
export async function ensureImplementJob(
  deps: { db: Database; queues: JobQueues },
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
  const [previous] = await deps.db
    .select({ sessionId: agents.sessionId })
    .from(agents)
    .where(and(eq(agents.taskId, task.id), isNotNull(agents.sessionId)))
    .orderBy(desc(agents.id))
    .limit(1);
  await deps.queues.enqueue(
    'implement-task',
    {
      taskId: task.id,
      installationId: epic.installationId,
      owner: epic.repoOwner,
      repo: epic.repoName,
      attempt,
      ...(previous?.sessionId ? { resumeSessionId: previous.sessionId } : {}),
    },
    { jobId },
  );
  return true;
}
