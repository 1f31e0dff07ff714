import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { Database } from './connection.js';
import { decisionLog, type DecisionLogEntry } from './schema.js';

export interface DecisionInput {
  decision: string;
  reasoning?: string;
  context?: Record<string, unknown>;
  agentId?: number | null;
  epicId?: number | null;
  taskId?: number | null;
}

/** Why something was done, for the status page and for whoever debugs it later. */
export async function recordDecision(
  db: Database,
  input: DecisionInput,
): Promise<DecisionLogEntry> {
  const [row] = await db
    .insert(decisionLog)
    .values({
      decision: input.decision,
      reasoning: input.reasoning ?? '',
      context: input.context ?? {},
      agentId: input.agentId ?? null,
      epicId: input.epicId ?? null,
      taskId: input.taskId ?? null,
    })
    .returning();
  if (!row) throw new Error('Decision insert returned nothing');
  return row;
}

/** Most recent first. */
export async function listDecisions(
  db: Database,
  filter: { epicId?: number; taskId?: number; agentId?: number; limit?: number } = {},
): Promise<DecisionLogEntry[]> {
  const conditions: SQL[] = [];
  if (filter.epicId !== undefined) conditions.push(eq(decisionLog.epicId, filter.epicId));
  if (filter.taskId !== undefined) conditions.push(eq(decisionLog.taskId, filter.taskId));
  if (filter.agentId !== undefined) conditions.push(eq(decisionLog.agentId, filter.agentId));
  return db
    .select()
    .from(decisionLog)
    .where(and(...conditions))
    .orderBy(desc(decisionLog.createdAt), desc(decisionLog.id))
    .limit(filter.limit ?? 50);
}
