import { and, asc, desc, eq, inArray, lt, or, isNull, type SQL } from 'drizzle-orm';
import { agentStateMachine } from '../domain/agentStateMachine.js';
import type { Database } from './connection.js';
import { agents, type Agent, type AgentKind, type AgentState } from './schema.js';
import {
  expectedStates,
  RecordNotFoundError,
  StaleStateError,
  type TransitionOptions,
} from './staleState.js';

type NewAgent = typeof agents.$inferInsert;

export async function createAgent(
  db: Database,
  agent: { kind: AgentKind } & Partial<
    Pick<NewAgent, 'installationId' | 'epicId' | 'taskId' | 'sessionId' | 'currentJobId'>
  >,
): Promise<Agent> {
  const [row] = await db
    .insert(agents)
    .values({ ...agent, lastHeartbeatAt: new Date() })
    .returning();
  if (!row) throw new Error('Agent insert returned nothing');
  return row;
}

export async function getAgent(db: Database, id: number): Promise<Agent> {
  const [row] = await db.select().from(agents).where(eq(agents.id, id));
  if (!row) throw new RecordNotFoundError('Agent', id);
  return row;
}

export async function findAgent(db: Database, id: number): Promise<Agent | undefined> {
  const [row] = await db.select().from(agents).where(eq(agents.id, id));
  return row;
}

export async function listAgents(
  db: Database,
  filter: {
    states?: readonly AgentState[];
    kind?: AgentKind;
    epicId?: number;
    taskId?: number;
  } = {},
): Promise<Agent[]> {
  const conditions: SQL[] = [];
  if (filter.states) conditions.push(inArray(agents.state, [...filter.states]));
  if (filter.kind) conditions.push(eq(agents.kind, filter.kind));
  if (filter.epicId !== undefined) conditions.push(eq(agents.epicId, filter.epicId));
  if (filter.taskId !== undefined) conditions.push(eq(agents.taskId, filter.taskId));
  return db
    .select()
    .from(agents)
    .where(and(...conditions))
    .orderBy(asc(agents.id));
}

/**
 * The epic's supervisor now (the newest; a failed one is replaced), to whom
 * the epic's merge-queue decisions belong. Undefined before planning made one.
 */
export async function findEpicSupervisorId(
  db: Database,
  epicId: number,
): Promise<number | undefined> {
  const [row] = await db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.kind, 'supervisor'), eq(agents.epicId, epicId)))
    .orderBy(desc(agents.id))
    .limit(1);
  return row?.id;
}

/** Agents that are working but have not said so since `before` (orchestrator health check). */
export async function listSilentAgents(db: Database, before: Date): Promise<Agent[]> {
  return db
    .select()
    .from(agents)
    .where(
      and(
        inArray(agents.state, ['BUSY', 'WAITING']),
        or(isNull(agents.lastHeartbeatAt), lt(agents.lastHeartbeatAt, before)),
      ),
    )
    .orderBy(asc(agents.id));
}

export type AgentPatch = Partial<
  Pick<NewAgent, 'epicId' | 'taskId' | 'sessionId' | 'currentJobId' | 'failureReason'>
>;

export async function updateAgent(db: Database, id: number, patch: AgentPatch): Promise<Agent> {
  const [row] = await db.update(agents).set(patch).where(eq(agents.id, id)).returning();
  if (!row) throw new RecordNotFoundError('Agent', id);
  return row;
}

/** Clears the job an agent names, if it still names `jobId` (another job may have named itself since). */
export async function releaseAgentJob(db: Database, id: number, jobId: string): Promise<void> {
  await db
    .update(agents)
    .set({ currentJobId: null })
    .where(and(eq(agents.id, id), eq(agents.currentJobId, jobId)));
}

export async function recordHeartbeat(db: Database, id: number, at = new Date()): Promise<void> {
  await db.update(agents).set({ lastHeartbeatAt: at }).where(eq(agents.id, id));
}

/** The only way an agent's state changes (see transitionEpic). */
export async function transitionAgent(
  db: Database,
  id: number,
  to: AgentState,
  options: TransitionOptions<AgentState> & { patch?: AgentPatch } = {},
): Promise<Agent> {
  const current = await getAgent(db, id);
  const expected = expectedStates(options.from);
  if (expected && !expected.includes(current.state)) {
    throw new StaleStateError('Agent', id, expected.join(' or '), current.state);
  }
  agentStateMachine.transition(current.state, to);
  const [row] = await db
    .update(agents)
    .set({
      ...options.patch,
      state: to,
      lastHeartbeatAt: new Date(),
      ...(to === 'FAILED' ? { failureReason: options.reason ?? 'failed' } : {}),
    })
    .where(and(eq(agents.id, id), eq(agents.state, current.state)))
    .returning();
  if (!row) {
    const now = await findAgent(db, id);
    throw new StaleStateError('Agent', id, current.state, now?.state);
  }
  return row;
}
