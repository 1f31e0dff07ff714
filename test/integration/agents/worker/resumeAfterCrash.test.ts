import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { implementTask } from '../../../../src/agents/worker/implementTask.js';
import { listDecisions } from '../../../../src/db/decisions.js';
import { agentRuns, agents, epics, tasks } from '../../../../src/db/schema.js';
import { FakeAgentRunner } from '../../../support/flow/fakeAgentRunner.js';
import { createFlowHarness, type FlowHarness } from '../../../support/flow/flowHarness.js';

/**
 * The attempt after a crash, wired through the real `implement-task` job (the
 * model faked): with the interrupted run's transcript at hand it resumes that
 * session with the short "you were interrupted" turn; without it, it starts a
 * fresh session with the whole task. Either way the dead run's record is closed.
 * (killedWorker.test.ts does the same with the real engine and a real crash.)
 */

const ref = { installationId: 1, owner: 'acme', repo: 'app' };
const job = { id: 'job-under-test', attemptsMade: 0, opts: { attempts: 1 } };

describe('the attempt after a crash', () => {
  let harness: FlowHarness;
  const runner = new FakeAgentRunner({});
  const transcripts = new Set<string>();
  runner.sessionTranscriptExists = (sessionId) => transcripts.has(sessionId);

  beforeAll(async () => {
    harness = await createFlowHarness({ agents: runner, config: 'test: "ls task-*.txt"' });
  });
  afterAll(() => harness.close());

  /** A task whose attempt 1 died mid-run (as the health pass leaves it), and attempt 2 claimed. */
  async function crashedTask(title: string, sessionId: string) {
    const epic = await harness.createEpic(`Epic for ${title}`, 'One task.');
    await harness.deps.db
      .update(epics)
      .set({ state: 'IN_PROGRESS', baseBranch: 'main' })
      .where(eq(epics.id, epic.id));
    const issue = harness.github.createIssue({ title, body: 'Do it.' }, 'maintainer');
    const [task] = await harness.deps.db
      .insert(tasks)
      .values({
        epicId: epic.id,
        issueNumber: issue.number,
        issueId: issue.id,
        title,
        description: 'Do it.',
        attempts: 1,
      })
      .returning();
    if (!task) throw new Error('no task');
    const [dead] = await harness.deps.db
      .insert(agents)
      .values({ kind: 'worker', state: 'FAILED', taskId: task.id, epicId: epic.id, sessionId })
      .returning();
    const [run] = await harness.deps.db
      .insert(agentRuns)
      .values({ agentId: dead!.id, purpose: 'implement', model: 'm', prompt: 'p', sessionId })
      .returning();
    const outcome = await harness.flow.dispatch();
    expect(outcome.start).toContain(task.id);
    return { task, deadRunId: run!.id };
  }

  async function runRecord(id: number) {
    const [row] = await harness.deps.db.select().from(agentRuns).where(eq(agentRuns.id, id));
    return row;
  }

  it('resumes the interrupted session with "you were interrupted" when its transcript is there', async () => {
    transcripts.add('sess-resumable');
    const { task, deadRunId } = await crashedTask('Resume me', 'sess-resumable');
    const result = await implementTask(harness.flow, { taskId: task.id, ...ref, attempt: 2 }, job);
    expect(result).toBe('review');
    const [first] = runner.workerRuns(task.id);
    expect(first?.resumeSessionId).toBe('sess-resumable');
    expect(first?.prompt).toMatch(/^You were interrupted/);
    expect(first?.prompt).toContain('attempt 2');
    expect(await runRecord(deadRunId)).toMatchObject({ status: 'failed' });
    const decisions = await listDecisions(harness.deps.db, { taskId: task.id });
    expect(decisions.map((d) => d.decision)).toContain(
      `attempt 2 of task #${task.issueNumber} resumes the interrupted session`,
    );
  });

  it('starts a fresh session with the whole task when the transcript is missing', async () => {
    const { task, deadRunId } = await crashedTask('Start me afresh', 'sess-lost');
    const result = await implementTask(harness.flow, { taskId: task.id, ...ref, attempt: 2 }, job);
    expect(result).toBe('review');
    const [first] = runner.workerRuns(task.id);
    expect(first?.resumeSessionId).toBeUndefined();
    expect(first?.prompt).toContain('Start me afresh');
    expect(first?.prompt).not.toContain('You were interrupted');
    expect(await runRecord(deadRunId)).toMatchObject({ status: 'failed' });
    const decisions = await listDecisions(harness.deps.db, { taskId: task.id });
    const fresh = decisions.find((d) => d.decision.endsWith('starts a fresh session'));
    expect(fresh?.reasoning).toMatch(/transcript of its session sess-lost is missing/);
  });

  it('a job BullMQ runs again after its process died takes over the agent left BUSY and resumes its session', async () => {
    transcripts.add('sess-rerun');
    const epic = await harness.createEpic('Epic for a re-run', 'One task.');
    await harness.deps.db
      .update(epics)
      .set({ state: 'IN_PROGRESS', baseBranch: 'main' })
      .where(eq(epics.id, epic.id));
    const issue = harness.github.createIssue(
      { title: 'Run me again', body: 'Do it.' },
      'maintainer',
    );
    const [task] = await harness.deps.db
      .insert(tasks)
      .values({
        epicId: epic.id,
        issueNumber: issue.number,
        issueId: issue.id,
        title: 'Run me again',
        description: 'Do it.',
        attempts: 1,
        state: 'IN_PROGRESS',
      })
      .returning();
    if (!task) throw new Error('no task');
    // No health pass came by: the dead run's agent is still BUSY with the job.
    const [left] = await harness.deps.db
      .insert(agents)
      .values({
        kind: 'worker',
        state: 'BUSY',
        taskId: task.id,
        epicId: epic.id,
        sessionId: 'sess-rerun',
        currentJobId: 'job-rerun',
      })
      .returning();
    await harness.deps.db
      .update(tasks)
      .set({ assignedAgentId: left!.id })
      .where(eq(tasks.id, task.id));
    await harness.deps.db.insert(agentRuns).values({
      agentId: left!.id,
      purpose: 'implement',
      model: 'm',
      prompt: 'p',
      sessionId: 'sess-rerun',
    });

    const rerun = { id: 'job-rerun', attemptsMade: 0, opts: { attempts: 1 } };
    const result = await implementTask(
      harness.flow,
      { taskId: task.id, ...ref, attempt: 1 },
      rerun,
    );
    expect(result).toBe('review');
    const [first] = runner.workerRuns(task.id);
    expect(first?.resumeSessionId).toBe('sess-rerun');
    expect(first?.prompt).toMatch(/^You were interrupted/);
    const rows = await harness.deps.db.select().from(agents).where(eq(agents.taskId, task.id));
    const buried = rows.find((row) => row.id === left!.id);
    const taker = rows.find((row) => row.id !== left!.id);
    expect(buried).toMatchObject({ state: 'FAILED' });
    expect(buried?.failureReason).toMatch(/process died/);
    expect(first?.agentId).toBe(taker?.id);
    const [after] = await harness.deps.db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(after).toMatchObject({ state: 'REVIEW', attempts: 1, assignedAgentId: taker?.id });
  });
});
