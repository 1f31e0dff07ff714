import { and, eq, sql } from 'drizzle-orm';
import { getAgent, recordHeartbeat, transitionAgent, updateAgent } from '../../db/agents.js';
import type { Database } from '../../db/connection.js';
import { agentRuns, type AgentState } from '../../db/schema.js';
import { recordUsage as recordUsageRow } from '../../db/usage.js';
import type { AgentErrorKind, AgentUsage } from './types.js';

/**
 * What a run writes to the database: its agent_runs row (with the assembled
 * prompt), the agent's state, heartbeat and session id, and model usage —
 * through the record modules of src/db where they exist.
 */

/** Moves the agent unless it is already there (a retried finish must not fail on itself). */
export async function moveAgent(
  db: Database,
  agentId: number,
  to: AgentState,
  reason?: string,
): Promise<void> {
  const agent = await getAgent(db, agentId);
  if (agent.state === to) return;
  await transitionAgent(db, agentId, to, { from: agent.state, reason });
}

/**
 * Starts a run: the agent goes BUSY — only from IDLE or WAITING, so a
 * second run of a busy agent is refused (StaleStateError / IllegalTransitionError)
 * — and the run row is written.
 */
export async function startRun(
  db: Database,
  run: { agentId: number; purpose: string; model: string; prompt: string },
): Promise<number> {
  await transitionAgent(db, run.agentId, 'BUSY', { from: ['IDLE', 'WAITING'] });
  await updateAgent(db, run.agentId, { failureReason: null });
  const [row] = await db.insert(agentRuns).values(run).returning({ id: agentRuns.id });
  if (!row) throw new Error(`Could not record a run for agent ${run.agentId}`);
  return row.id;
}

export async function heartbeat(db: Database, agentId: number): Promise<void> {
  await recordHeartbeat(db, agentId);
}

/** Stored as soon as the engine names the session, so even a crashed run can be resumed. */
export async function saveSession(db: Database, agentId: number, runId: number, sessionId: string) {
  await updateAgent(db, agentId, { sessionId });
  await db.update(agentRuns).set({ sessionId }).where(eq(agentRuns.id, runId));
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  numTurns: number;
  result?: unknown;
  error?: { kind: AgentErrorKind; message: string };
}

export async function finishRun(db: Database, runId: number, outcome: RunOutcome): Promise<void> {
  await db
    .update(agentRuns)
    .set({
      status: outcome.status,
      numTurns: outcome.numTurns,
      result: outcome.result ?? null,
      error: outcome.error ? `${outcome.error.kind}: ${outcome.error.message}` : null,
      finishedAt: sql`now()`,
    })
    .where(eq(agentRuns.id, runId));
}

/**
 * The runs a dead agent left open (its process died mid-run, so nothing else
 * will ever finish them): failed, with why, so no record shows them running.
 */
export async function failOpenRuns(db: Database, agentId: number, reason: string): Promise<number> {
  const closed = await db
    .update(agentRuns)
    .set({ status: 'failed', error: `${agentDiedPrefix}${reason}`, finishedAt: sql`now()` })
    .where(and(eq(agentRuns.agentId, agentId), eq(agentRuns.status, 'running')))
    .returning({ id: agentRuns.id });
  return closed.length;
}

/** The error of a run closed because its agent died: a later attempt knows an interrupted run by it. */
export const agentDiedPrefix = 'agent died: ';

/**
 * The runs of an agent an infrastructure error stopped (the database or Redis
 * away past the run's own retries): closed with why, so none reads as running,
 * and the agent is put back IDLE — it did not fail, so it does not count as a
 * crash. The job runs again and resumes the run's session (findInterruptedRun
 * knows such a run by its error). Best effort: with the database down this
 * fails too, and the re-run finds the agent left BUSY by its own job instead.
 */
export async function closeRunsForInfrastructure(
  db: Database,
  agentId: number,
  reason: string,
): Promise<void> {
  await db
    .update(agentRuns)
    .set({ status: 'failed', error: `${infrastructurePrefix}${reason}`, finishedAt: sql`now()` })
    .where(and(eq(agentRuns.agentId, agentId), eq(agentRuns.status, 'running')));
  const agent = await getAgent(db, agentId);
  if (agent.state === 'BUSY') await transitionAgent(db, agentId, 'IDLE', { from: 'BUSY' });
}

/** The error of a run an infrastructure error stopped: retried, not the agent's failure. */
export const infrastructurePrefix = 'infrastructure: ';

/** A run the engine finished but whose result Factory rejects (e.g. no valid structured output). */
export async function failFinishedRun(db: Database, agentId: number, runId: number, error: string) {
  await db.update(agentRuns).set({ status: 'failed', error }).where(eq(agentRuns.id, runId));
  await moveAgent(db, agentId, 'FAILED', error);
}

export interface UsageByModel extends AgentUsage {
  model: string;
}

/** One model_usage row per model the run used, against its agent, task and epic. */
export async function recordUsage(
  db: Database,
  owner: {
    agentId: number;
    runId: number;
    epicId?: number;
    taskId?: number;
    installationId?: number;
  },
  usage: UsageByModel[],
): Promise<void> {
  for (const entry of usage) {
    await recordUsageRow(db, { ...owner, ...entry });
  }
}
