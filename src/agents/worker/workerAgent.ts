import { and, desc, eq, ne } from 'drizzle-orm';
import { createAgent } from '../../db/agents.js';
import type { Database } from '../../db/connection.js';
import { agentStateMachine } from '../../domain/agentStateMachine.js';
import { agents, type Agent, type Task } from '../../db/schema.js';

/**
 * The task's worker: one Agent row per task, reused across attempts so its
 * session can be resumed; a FAILED agent (crashed, timed out) is replaced.
 */
export async function ensureWorkerAgent(
  db: Database,
  task: Pick<Task, 'id' | 'epicId'>,
  installationId: number,
): Promise<Agent> {
  const [existing] = await db
    .select()
    .from(agents)
    .where(and(eq(agents.kind, 'worker'), eq(agents.taskId, task.id), ne(agents.state, 'FAILED')))
    .orderBy(desc(agents.id))
    .limit(1);
  if (existing) return existing;
  return createAgent(db, { kind: 'worker', installationId, epicId: task.epicId, taskId: task.id });
}

/**
 * Pure: an agent still BUSY with the very job that is starting now was left
 * so by a process that died mid-run. BullMQ gives a job to a worker only
 * while no other holds its lock, so whoever ran it before is gone (a stalled
 * job run again, or a retry after the run's own records failed to close).
 */
export function leftBusyByDeadRun(
  agent: Pick<Agent, 'state' | 'currentJobId'>,
  jobId: string,
): boolean {
  return agent.state === 'BUSY' && agent.currentJobId === jobId;
}

/**
 * The task's worker for the job `jobId`: ensureWorkerAgent, except that an
 * agent the job's dead run left BUSY is buried first (FAILED, as the
 * orchestrator's health pass would, guarded the same way) and replaced —
 * without this the new run would be refused on a BUSY agent until the health
 * pass came by. The attempt then finds the dead run and resumes its session.
 */
export async function claimWorkerAgent(
  db: Database,
  task: Pick<Task, 'id' | 'epicId'>,
  installationId: number,
  jobId: string,
): Promise<{ agent: Agent; replaced?: Agent }> {
  const agent = await ensureWorkerAgent(db, task, installationId);
  if (!leftBusyByDeadRun(agent, jobId)) return { agent };
  await db
    .update(agents)
    .set({
      state: agentStateMachine.transition('BUSY', 'FAILED'),
      failureReason: 'its process died mid-run; the job was picked up again',
    })
    .where(and(eq(agents.id, agent.id), eq(agents.state, 'BUSY'), eq(agents.currentJobId, jobId)));
  return { agent: await ensureWorkerAgent(db, task, installationId), replaced: agent };
}
