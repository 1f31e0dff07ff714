import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { agentRuns, type Agent } from '../db/schema.js';

/**
 * Where an agent's current session lives: the directory of the last run that
 * used it (the runner records it with the run's result). Claude Code keeps a
 * session per directory, so resuming it anywhere else starts nothing.
 * Undefined when no finished run says (no session, or a run that crashed).
 */
export async function sessionDirectory(
  db: Database,
  agent: Pick<Agent, 'id' | 'sessionId'>,
): Promise<string | undefined> {
  if (!agent.sessionId) return undefined;
  const [run] = await db
    .select({ result: agentRuns.result })
    .from(agentRuns)
    .where(and(eq(agentRuns.agentId, agent.id), eq(agentRuns.sessionId, agent.sessionId)))
    .orderBy(desc(agentRuns.id))
    .limit(1);
  const cwd = (run?.result as { cwd?: unknown } | null | undefined)?.cwd;
  return typeof cwd === 'string' ? cwd : undefined;
}
