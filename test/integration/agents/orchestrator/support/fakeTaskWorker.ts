import type { Job } from 'bullmq';
import {
  admitTask,
  waitForAgentSlot,
} from '../../../../../src/agents/orchestrator/allocation/admission.js';
import type { RepoConfigSource } from '../../../../../src/agents/orchestrator/repoConfigs.js';
import type { Env } from '../../../../../src/config/env.js';
import type { Database } from '../../../../../src/db/connection.js';
import { createAgent, transitionAgent } from '../../../../../src/db/agents.js';
import { getTask, transitionTask } from '../../../../../src/db/tasks.js';
import { parseJobPayload } from '../../../../../src/queues/jobs.js';

/**
 * A stand-in for the worker's `implement-task` processor, shaped as the real
 * one must be for crash recovery to work: admitted (and claimed) by the
 * orchestrator's gate, a BUSY Agent row naming its job and session, the task
 * moved through its states. `hang` stops it mid-run, like a process that is
 * about to be killed.
 */
export async function fakeImplementTask(
  deps: { db: Database; env: Env; repoConfigs: RepoConfigSource },
  job: Job,
  options: { hang?: () => Promise<never> } = {},
) {
  const payload = parseJobPayload('implement-task', job.data);
  const admission = await admitTask(deps, payload.taskId, payload.attempt);
  if (!admission.admitted) {
    if (admission.stale) return { outcome: 'stale', attempt: payload.attempt };
    return waitForAgentSlot(job, 500);
  }
  const task = await getTask(deps.db, payload.taskId);
  const agent = await createAgent(deps.db, {
    kind: 'worker',
    installationId: payload.installationId,
    epicId: task.epicId,
    taskId: task.id,
    currentJobId: job.id ?? null,
    sessionId: payload.resumeSessionId ?? `session-${task.id}-${payload.attempt}`,
  });
  await transitionAgent(deps.db, agent.id, 'BUSY', { from: 'IDLE' });
  await transitionTask(deps.db, task.id, 'IN_PROGRESS', { from: 'ASSIGNED' });
  if (options.hang) await options.hang();
  await transitionTask(deps.db, task.id, 'REVIEW', { from: 'IN_PROGRESS' });
  await transitionTask(deps.db, task.id, 'COMPLETED', { from: 'REVIEW' });
  await transitionAgent(deps.db, agent.id, 'IDLE', { from: 'BUSY' });
  return {
    outcome: 'completed',
    attempt: payload.attempt,
  };
}
