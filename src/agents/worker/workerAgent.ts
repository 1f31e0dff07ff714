import { and, desc, eq, ne } from 'drizzle-orm';
import { createAgent } from '../../db/agents.js';
import type { Database } from '../../db/connection.js';
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
