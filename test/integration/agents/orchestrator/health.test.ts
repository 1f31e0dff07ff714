import { eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runHealthCheck } from '../../../../src/agents/orchestrator/health/healthCheck.js';
import { resolveEscalations } from '../../../../src/agents/orchestrator/escalation/escalate.js';
import {
  agentRuns,
  agents,
  epics,
  escalations,
  mergeQueueEntries,
  type Epic,
  type Task,
} from '../../../../src/db/schema.js';
import { assertNockDone, githubApi, useNock } from '../../../support/github.js';
import { createOrchestratorHarness, type OrchestratorHarness } from './harness.js';

let h: OrchestratorHarness;
beforeAll(async () => {
  useNock();
  h = await createOrchestratorHarness({
    CRASH_LOOP_FAILURES: '3',
    CRASH_LOOP_WINDOW_MINUTES: '10',
  });
});
afterEach(() => assertNockDone());
afterAll(async () => {
  nock.enableNetConnect();
  await h.close();
});

const anHourAgo = () => new Date(Date.now() - 3_600_000);

/** A BUSY worker on the task whose last heartbeat was `at`. */
async function busyAgent(epic: Epic, task: Task, at: Date, sessionId = 'sess') {
  const [row] = await h.database.db
    .insert(agents)
    .values({
      kind: 'worker',
      state: 'BUSY',
      installationId: 1,
      epicId: epic.id,
      taskId: task.id,
      sessionId,
      lastHeartbeatAt: at,
    })
    .returning();
  if (!row) throw new Error('no agent');
  return row;
}

/** A worker of the task that was found dead at `at`. */
async function failedAgent(epic: Epic, task: Task, at: Date) {
  await h.database.db.insert(agents).values({
    kind: 'worker',
    state: 'FAILED',
    installationId: 1,
    epicId: epic.id,
    taskId: task.id,
    failureReason: 'no heartbeat',
    updatedAt: at,
  });
}

describe('health check', () => {
  it('leaves agents with a fresh heartbeat alone', async () => {
    const epic = await h.seedEpic();
    const task = await h.seedTask(epic, { state: 'IN_PROGRESS', attempts: 1 });
    const agent = await busyAgent(epic, task, new Date());
    const report = await runHealthCheck(h.deps);
    expect(report.deadAgents).toEqual([]);
    const [row] = await h.database.db.select().from(agents).where(eq(agents.id, agent.id));
    expect(row?.state).toBe('BUSY');
  });

  it("closes the dead agent's open run as failed, so no record shows it running", async () => {
    const epic = await h.seedEpic();
    const task = await h.seedTask(epic, { state: 'IN_PROGRESS', attempts: 1 });
    const agent = await busyAgent(epic, task, anHourAgo());
    const [run] = await h.database.db
      .insert(agentRuns)
      .values({ agentId: agent.id, purpose: 'implement', model: 'm', prompt: 'p' })
      .returning();
    await runHealthCheck(h.deps);
    const [row] = await h.database.db
      .select()
      .from(agentRuns)
      .where(eq(agentRuns.id, run?.id ?? -1));
    expect(row).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^agent died: no heartbeat/),
    });
    expect(row?.finishedAt).not.toBeNull();
  });

  it('gives a rework round whose worker died back to the merge queue, not to a fresh attempt', async () => {
    const epic = await h.seedEpic();
    const task = await h.seedTask(epic, { state: 'IN_PROGRESS', attempts: 1, prNumber: 40 });
    await h.database.db.insert(mergeQueueEntries).values({
      epicId: epic.id,
      taskId: task.id,
      prNumber: 40,
      position: 1,
      reworkRounds: 1,
      reworkReason: 'conflict',
    });
    await busyAgent(epic, task, anHourAgo());
    const report = await runHealthCheck(h.deps);
    expect(report.deadAgents.map((d) => d.recovery)).toEqual(['hand-to-merge-queue']);
    // Still the round's: no new implementation attempt was started.
    expect(await h.task(task.id)).toMatchObject({ state: 'IN_PROGRESS', attempts: 1 });
    expect(report.allocation.dispatched).toEqual([]);
    expect((await h.jobs('advance-merge-queue')).map((j) => j.data)).toEqual([
      expect.objectContaining({ epicId: epic.id }),
    ]);
  });

  it('fails a task whose last attempt died, with its reason on the task', async () => {
    const epic = await h.seedEpic();
    const task = await h.seedTask(epic, { state: 'IN_PROGRESS', attempts: 3 });
    await busyAgent(epic, task, anHourAgo());
    nock(githubApi)
      .post(`/repos/octo/lib/issues/${task.issueNumber}/comments`, (body: { body: string }) =>
        /attempt 3 of 3 .*no heartbeat for \d+ s.*no attempts left/.test(body.body),
      )
      .reply(201, { id: 77, html_url: 'https://github.com/c/77' });
    const report = await runHealthCheck(h.deps);
    expect(report.deadAgents).toMatchObject([{ taskId: task.id, recovery: 'fail' }]);
    const failed = await h.task(task.id);
    expect(failed.state).toBe('FAILED');
    expect(failed.failureReason).toMatch(/no attempts left/);
    expect((await h.jobs('update-progress')).map((j) => j.id)).toContain(
      `update-progress-${epic.id}-task-${task.id}-failed`,
    );
    expect(await h.decisions(epic.id)).toEqual(['agent-dead:fail']);
  });

  it('takes one crash that killed several workers for one crash, not a loop', async () => {
    const epic = await h.seedEpic();
    const crashed: Task[] = [];
    for (let i = 0; i < 3; i += 1) {
      const task = await h.seedTask(epic, { state: 'IN_PROGRESS', attempts: 1, position: i });
      await busyAgent(epic, task, anHourAgo(), `sess-${i}`);
      crashed.push(task);
    }
    const report = await runHealthCheck(h.deps);
    expect(report.deadAgents.map((d) => d.recovery)).toEqual(['requeue', 'requeue', 'requeue']);
    expect(report.parkedEpics).toEqual([]);
    expect((await h.epic(epic.id)).state).not.toBe('BLOCKED');
    expect(await h.decisions(epic.id)).not.toContain('park-epic');
  });

  it('parks a crash-looping epic BLOCKED and escalates once, not every pass', async () => {
    const epic = await h.seedEpic();
    const looping: Task[] = [];
    for (let i = 0; i < 3; i += 1) {
      const task = await h.seedTask(epic, { state: 'IN_PROGRESS', attempts: 1, position: i });
      // The same work died twice before, minutes apart: this is its third crash.
      for (const minutesAgo of [4, 2]) {
        await failedAgent(epic, task, new Date(Date.now() - minutesAgo * 60_000));
      }
      await busyAgent(epic, task, anHourAgo(), `sess-${i}`);
      looping.push(task);
    }
    nock(githubApi)
      .post(`/repos/octo/lib/issues/${epic.issueNumber}/comments`, (body: { body: string }) =>
        body.body.includes('parked as BLOCKED'),
      )
      .reply(201, { id: 88, html_url: 'https://github.com/c/88' })
      .get(`/repos/octo/lib/issues/${epic.issueNumber}/labels`)
      .query(true)
      .reply(200, [{ name: 'factory:epic' }, { name: 'factory:in-progress' }])
      .delete(`/repos/octo/lib/issues/${epic.issueNumber}/labels/factory%3Ain-progress`)
      .reply(200, [])
      .post(`/repos/octo/lib/issues/${epic.issueNumber}/labels`, { labels: ['factory:blocked'] })
      .reply(200, []);
    const first = await runHealthCheck(h.deps);
    expect(first.deadAgents.map((d) => d.recovery)).toEqual(['requeue', 'requeue', 'requeue']);
    expect(first.parkedEpics).toEqual([epic.id]);
    // Re-queued, but nothing of a BLOCKED epic starts.
    expect(first.allocation.dispatched).toEqual([]);
    const parked = await h.epic(epic.id);
    expect(parked.state).toBe('BLOCKED');
    expect(parked.blockedReason).toMatch(/crash loop/);
    for (const task of looping) expect((await h.task(task.id)).state).toBe('PENDING');

    const second = await runHealthCheck(h.deps); // no GitHub call expected
    expect(second.parkedEpics).toEqual([]);
    const rows = await h.database.db
      .select()
      .from(escalations)
      .where(eq(escalations.epicId, epic.id));
    expect(rows).toMatchObject([{ cause: 'crash-loop', githubCommentId: 88, resolvedAt: null }]);
    expect(await h.decisions(epic.id)).toContain('park-epic');

    // A person resumes it (`/factory resume`): the failures they looked at do not park it again.
    await resolveEscalations(h.database.db, epic.id);
    await h.database.db.update(epics).set({ state: 'IN_PROGRESS' }).where(eq(epics.id, epic.id));
    const third = await runHealthCheck(h.deps); // no GitHub call expected
    expect(third.parkedEpics).toEqual([]);
    expect((await h.epic(epic.id)).state).toBe('IN_PROGRESS');
  });
});
