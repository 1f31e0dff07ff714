import { failOpenRuns } from '../../../../src/agents/runtime/runRecords.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeInterruptedRun,
  findInterruptedRun,
} from '../../../../src/agents/worker/interruptedRun.js';
import type { DatabaseHandle } from '../../../../src/db/connection.js';
import {
  agentRuns,
  agents,
  epics,
  tasks,
  type AgentState,
  type runStatuses,
} from '../../../../src/db/schema.js';
import { createTestDatabase } from '../../../support/database.js';

type RunStatus = (typeof runStatuses)[number];

/** Which of a task's worker runs a crash cut off: the records the next attempt decides from. */

let database: DatabaseHandle;
let epicId: number;
let issue = 10;

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  const [epic] = await database.db
    .insert(epics)
    .values({
      installationId: 1,
      repoId: 1,
      repoOwner: 'acme',
      repoName: 'app',
      issueNumber: 1,
      issueId: 1001,
      title: 'Epic',
      state: 'IN_PROGRESS',
    })
    .returning();
  epicId = epic!.id;
});
afterAll(() => database?.close());

async function newTask(): Promise<number> {
  issue += 1;
  const [task] = await database.db
    .insert(tasks)
    .values({ epicId, issueNumber: issue, issueId: 5000 + issue, title: `Task ${issue}` })
    .returning();
  return task!.id;
}

async function run(
  taskId: number,
  agentState: AgentState,
  status: RunStatus,
  sessionId: string | null,
  kind: 'worker' | 'supervisor' = 'worker',
) {
  const [agent] = await database.db
    .insert(agents)
    .values({ kind, state: agentState, taskId, epicId })
    .returning();
  const [row] = await database.db
    .insert(agentRuns)
    .values({
      agentId: agent!.id,
      purpose: 'implement',
      model: 'm',
      prompt: 'p',
      status,
      sessionId,
    })
    .returning();
  return { agentId: agent!.id, runId: row!.id };
}

describe('findInterruptedRun', () => {
  it('finds a run left running by an agent the orchestrator buried', async () => {
    const taskId = await newTask();
    const { agentId, runId } = await run(taskId, 'FAILED', 'running', 'sess-1');
    expect(await findInterruptedRun(database.db, taskId)).toEqual({
      sessionId: 'sess-1',
      runId,
      agentId,
    });
  });

  it('finds a run the health pass closed when it buried the agent', async () => {
    const taskId = await newTask();
    const { agentId, runId } = await run(taskId, 'FAILED', 'running', 'sess-4');
    expect(await failOpenRuns(database.db, agentId, 'no heartbeat for 120 s')).toBe(1);
    expect(await findInterruptedRun(database.db, taskId)).toEqual({
      sessionId: 'sess-4',
      runId,
      agentId,
    });
  });

  it('finds nothing for a task without runs, a run still alive, or a run that failed by itself', async () => {
    expect(await findInterruptedRun(database.db, await newTask())).toBeNull();
    const alive = await newTask();
    await run(alive, 'BUSY', 'running', 'sess-2');
    expect(await findInterruptedRun(database.db, alive)).toBeNull();
    const failed = await newTask();
    await run(failed, 'FAILED', 'failed', 'sess-3');
    expect(await findInterruptedRun(database.db, failed)).toBeNull();
  });

  it('finds nothing when the engine never named a session, or for a supervisor run', async () => {
    const unnamed = await newTask();
    await run(unnamed, 'FAILED', 'running', null);
    expect(await findInterruptedRun(database.db, unnamed)).toBeNull();
    const supervised = await newTask();
    await run(supervised, 'FAILED', 'running', 'sess-4', 'supervisor');
    expect(await findInterruptedRun(database.db, supervised)).toBeNull();
  });

  it('looks only at the last run: an interrupted run followed by a finished one is over', async () => {
    const taskId = await newTask();
    await run(taskId, 'FAILED', 'running', 'sess-5');
    await run(taskId, 'IDLE', 'succeeded', 'sess-5');
    expect(await findInterruptedRun(database.db, taskId)).toBeNull();
  });

  it('is closed as failed once taken over, so it is found once and no longer reads as running', async () => {
    const taskId = await newTask();
    await run(taskId, 'FAILED', 'running', 'sess-6');
    const found = await findInterruptedRun(database.db, taskId);
    if (!found) throw new Error('not found');
    await closeInterruptedRun(database.db, found);
    await closeInterruptedRun(database.db, found);
    const [row] = await database.db.select().from(agentRuns).where(eq(agentRuns.id, found.runId));
    expect(row).toMatchObject({
      status: 'failed',
      error: 'interrupted: the process running it died',
    });
    expect(row?.finishedAt).toBeInstanceOf(Date);
    expect(await findInterruptedRun(database.db, taskId)).toBeNull();
  });
});
