import { eq, inArray } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { admitTask } from '../../../../src/agents/orchestrator/allocation/admission.js';
import { runAllocation } from '../../../../src/agents/orchestrator/allocation/allocationPass.js';
import { epics, mail, modelUsage, tasks, type Epic, type Task } from '../../../../src/db/schema.js';
import { assertNockDone, githubApi, useNock } from '../../../support/github.js';
import { createOrchestratorHarness, type OrchestratorHarness } from './harness.js';

let h: OrchestratorHarness;
beforeAll(async () => {
  useNock();
  h = await createOrchestratorHarness({ MAX_CONCURRENT_AGENTS: '2' });
});
afterEach(async () => {
  assertNockDone();
  // Each test starts with no epic in progress.
  await h.database.db
    .update(epics)
    .set({ state: 'CANCELLED' })
    .where(eq(epics.state, 'IN_PROGRESS'));
  h.config = { ...h.config, budget: {} };
});
afterAll(async () => {
  nock.enableNetConnect();
  await h.close();
});

async function epicWithTasks(count: number): Promise<{ epic: Epic; tasks: Task[] }> {
  const epic = await h.seedEpic();
  const created: Task[] = [];
  for (let i = 0; i < count; i += 1) created.push(await h.seedTask(epic, { position: i }));
  return { epic, tasks: created };
}

async function finish(taskId: number) {
  await h.database.db.update(tasks).set({ state: 'COMPLETED' }).where(eq(tasks.id, taskId));
}

describe('allocation', () => {
  it('is fair across 3 epics with a limit of 2 agents: none starves, never more than 2 run', async () => {
    const all = [await epicWithTasks(3), await epicWithTasks(3), await epicWithTasks(3)];
    const epicOf = new Map(all.flatMap(({ epic, tasks: ts }) => ts.map((t) => [t.id, epic.id])));
    // Every task's job asks at once, in the greediest order: the first epic's tasks first.
    const pending = all.flatMap(({ tasks: ts }) => ts.map((t) => t.id));
    const started: number[] = [];
    const running: number[] = [];
    while (pending.length > 0) {
      const answers = await Promise.all(pending.map((id) => admitTask(h.deps, id, 1)));
      const admitted = pending.filter((_, i) => answers[i]?.admitted);
      for (const id of admitted) pending.splice(pending.indexOf(id), 1);
      running.push(...admitted);
      started.push(...admitted.map((id) => epicOf.get(id) ?? 0));
      const inFlight = await h.database.db
        .select({ id: tasks.id })
        .from(tasks)
        .where(inArray(tasks.state, ['ASSIGNED', 'IN_PROGRESS']));
      expect(inFlight.length).toBeLessThanOrEqual(2);
      expect(inFlight.length).toBe(running.length);
      // The agent that has run longest finishes; its slot is allocated in the next round.
      const done = running.shift();
      if (done !== undefined) await finish(done);
    }
    const [e1, e2, e3] = all.map(({ epic }) => epic.id);
    // The first three starts serve three different epics, though epic 1 asked first for all its tasks.
    expect(new Set(started.slice(0, 3))).toEqual(new Set([e1, e2, e3]));
    // Round-robin afterwards: no epic gets a third task before every epic has had its second.
    expect(new Set(started.slice(3, 6))).toEqual(new Set([e1, e2, e3]));
    const decisions = await h.decisions(e3 ?? 0);
    expect(decisions.filter((d) => d === 'start-task')).toHaveLength(3);
  });

  it('explains why a task waits, and refuses a job of an attempt that is over', async () => {
    const { tasks: ts } = await epicWithTasks(3);
    const [a, b, c] = ts.map((t) => t.id);
    expect(await admitTask(h.deps, a ?? 0, 1)).toEqual({ admitted: true });
    expect(await admitTask(h.deps, b ?? 0, 1)).toEqual({ admitted: true });
    expect(await admitTask(h.deps, c ?? 0, 1)).toMatchObject({
      admitted: false,
      reason: expect.stringMatching(/all 2 agent slots are in use/),
    });
    // The first attempt of task a is counted: a second job for attempt 1 is stale.
    await h.database.db
      .update(tasks)
      .set({ state: 'PENDING' })
      .where(eq(tasks.id, a ?? 0));
    expect(await admitTask(h.deps, a ?? 0, 1)).toMatchObject({ admitted: false, stale: true });
  });

  it('stops an epic at its budget: paused with one comment saying so, nothing more starts', async () => {
    const { epic, tasks: ts } = await epicWithTasks(2);
    h.config = { ...h.config, budget: { usd: 1 } };
    await h.database.db.insert(modelUsage).values([
      { epicId: epic.id, model: 'claude', costUsd: 0.75, inputTokens: 1000 },
      { epicId: epic.id, model: 'claude', costUsd: 0.5, outputTokens: 500 },
    ]);
    nock(githubApi)
      .post(
        `/repos/octo/lib/issues/${epic.issueNumber}/comments`,
        (body: { body: string }) =>
          body.body.includes('Paused: budget reached') &&
          body.body.includes('spent $1.25 of its $1.00'),
      )
      .reply(201, { id: 901, html_url: 'https://github.com/c/901' });
    const first = await runAllocation(h.deps);
    expect(first).toEqual({ pausedForBudget: [epic.id], dispatched: [] });
    const paused = await h.epic(epic.id);
    expect(paused.pausedAt).not.toBeNull();
    expect(paused.pausedReason).toMatch(
      /budget reached: the epic spent \$1.25 of its \$1.00 budget/,
    );
    expect(await admitTask(h.deps, ts[0]?.id ?? 0, 1)).toMatchObject({
      admitted: false,
      reason: 'its epic is paused',
    });
    expect(await h.decisions(epic.id)).toContain('pause-epic:budget');

    // Next pass: still over budget, already paused and told — no second comment.
    const second = await runAllocation(h.deps);
    expect(second).toEqual({ pausedForBudget: [], dispatched: [] });
    expect(await h.database.db.select().from(mail).where(eq(mail.epicId, epic.id))).toHaveLength(1);
  });

  it('stops at a token budget too, and dispatches the tasks of epics within theirs', async () => {
    const over = await epicWithTasks(1);
    const within = await epicWithTasks(1);
    h.config = { ...h.config, budget: { tokens: 10_000 } };
    await h.database.db.insert(modelUsage).values([
      { epicId: over.epic.id, model: 'claude', inputTokens: 8000, cacheReadTokens: 3000 },
      { epicId: within.epic.id, model: 'claude', inputTokens: 10 },
    ]);
    nock(githubApi)
      .post(`/repos/octo/lib/issues/${over.epic.issueNumber}/comments`, (body: { body: string }) =>
        body.body.includes('used 11,000 of its 10,000 token budget'),
      )
      .reply(201, { id: 902, html_url: 'https://github.com/c/902' });
    const outcome = await runAllocation(h.deps);
    expect(outcome.pausedForBudget).toEqual([over.epic.id]);
    expect(outcome.dispatched).toEqual([within.tasks[0]?.id]);
    expect((await h.jobs('implement-task')).map((j) => j.id)).toContain(
      `implement-task-${within.tasks[0]?.id}-1`,
    );
  });
});
