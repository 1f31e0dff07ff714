import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/connection.js';
import { agentRuns, agents } from '../../db/schema.js';
import { agentDiedPrefix, infrastructurePrefix } from '../runtime/runRecords.js';
import type { InterruptedRun } from './sessionStart.js';

/**
 * The task's last worker run, if a crash cut it off: the runner finishes every
 * run it is still alive to finish (succeeded, failed or cancelled), so a run
 * whose agent the orchestrator has since buried as FAILED, left `running` or
 * closed by the health pass as "agent died", is one whose process died
 * mid-run; so is one an infrastructure error stopped. Its session id was stored as soon as the engine named it, for
 * exactly this.
 */
export async function findInterruptedRun(
  db: Database,
  taskId: number,
): Promise<InterruptedRun | null> {
  const [last] = await db
    .select({
      runId: agentRuns.id,
      status: agentRuns.status,
      error: agentRuns.error,
      sessionId: agentRuns.sessionId,
      agentId: agents.id,
      agentState: agents.state,
    })
    .from(agentRuns)
    .innerJoin(agents, eq(agents.id, agentRuns.agentId))
    .where(and(eq(agents.taskId, taskId), eq(agents.kind, 'worker')))
    .orderBy(desc(agentRuns.id))
    .limit(1);
  if (!last || !last.sessionId) return null;
  // Stopped by an outage of the database or Redis: the agent was put back IDLE, not buried.
  if (last.status === 'failed' && (last.error ?? '').startsWith(infrastructurePrefix))
    return { runId: last.runId, sessionId: last.sessionId, agentId: last.agentId };
  if (last.agentState !== 'FAILED') return null;
  const cutOff =
    last.status === 'running' ||
    (last.status === 'failed' && (last.error ?? '').startsWith(agentDiedPrefix));
  if (!cutOff) return null;
  return { runId: last.runId, sessionId: last.sessionId, agentId: last.agentId };
}

/**
 * Closes the record of a run a crash cut off, once an attempt has taken it
 * over (resumed or not): nothing else would, and it must not read as running.
 */
export async function closeInterruptedRun(db: Database, run: InterruptedRun): Promise<void> {
  await db
    .update(agentRuns)
    .set({
      status: 'failed',
      error: 'interrupted: the process running it died',
      finishedAt: sql`now()`,
    })
    .where(and(eq(agentRuns.id, run.runId), eq(agentRuns.status, 'running')));
}
