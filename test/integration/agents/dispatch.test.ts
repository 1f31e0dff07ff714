import { eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admitTask } from '../../../src/agents/orchestrator/allocation/admission.js';
import { startWaitingTasks } from '../../../src/agents/worker/dispatch.js';
import { epics } from '../../../src/db/schema.js';
import { useNock } from '../../support/github.js';
import { createOrchestratorHarness, type OrchestratorHarness } from './orchestrator/harness.js';

/**
 * The flow's dispatcher and the orchestrator's gate are one mechanism: the
 * same fair rule (chooseTasksToStart), the same claim and decision record,
 * the same job per attempt.
 */

let h: OrchestratorHarness;
beforeAll(async () => {
  useNock();
  h = await createOrchestratorHarness({ MAX_CONCURRENT_AGENTS: '2' });
});
afterAll(async () => {
  nock.enableNetConnect();
  await h.close();
});

const dispatch = () => startWaitingTasks(h.deps, { configOf: h.deps.repoConfigs });

describe('dispatching tasks', () => {
  it('starts by the fair rule, and the orchestrator’s gate agrees with what it claimed', async () => {
    const big = await h.seedEpic();
    const bigTasks = [];
    for (let i = 0; i < 3; i += 1) bigTasks.push(await h.seedTask(big, { position: i }));
    const small = await h.seedEpic();
    const [smallTask] = [await h.seedTask(small)];
    const [a0, a1] = bigTasks;

    const outcome = await dispatch();
    // The big epic's tasks come first in every list, yet the second slot goes to the small epic.
    expect(outcome.start).toEqual([a0!.id, smallTask!.id]);
    expect(outcome.enqueued).toEqual(outcome.start);
    expect(await h.task(a0!.id)).toMatchObject({ state: 'ASSIGNED', attempts: 1 });
    const jobIds = (await h.jobs('implement-task')).map((job) => job.id);
    expect(jobIds).toEqual([`implement-task-${a0!.id}-1`, `implement-task-${smallTask!.id}-1`]);
    expect(await h.decisions(big.id)).toEqual(['start-task']);
    expect(await h.decisions(small.id)).toEqual(['start-task']);

    // The gate of the claimed attempt's job lets it run without claiming again…
    expect(await admitTask(h.deps, a0!.id, 1)).toEqual({ admitted: true });
    expect(await h.decisions(big.id)).toEqual(['start-task']);
    // …and tells a job queued early for another task why it waits.
    expect(await admitTask(h.deps, a1!.id, 1)).toMatchObject({
      admitted: false,
      reason: expect.stringMatching(/all 2 agent slots are in use/),
    });

    // Again: nothing new to start, no job added twice.
    expect(await dispatch()).toEqual({ start: [], blocked: [], enqueued: [] });
    expect(await h.jobs('implement-task')).toHaveLength(2);

    // A claimed task whose job was lost (say, a crash between claim and enqueue) gets it back.
    await h.deps.queues
      .queue('task')
      .getJob(`implement-task-${smallTask!.id}-1`)
      .then((job) => job?.remove());
    expect((await dispatch()).enqueued).toEqual([smallTask!.id]);
  });

  it('blocks a task whose dependency failed instead of letting it wait forever', async () => {
    // The first test's epics end, and their slots with them.
    await h.database.db
      .update(epics)
      .set({ state: 'CANCELLED' })
      .where(eq(epics.state, 'IN_PROGRESS'));
    const epic = await h.seedEpic();
    const failed = await h.seedTask(epic, { state: 'FAILED' });
    const dependent = await h.seedTask(epic, { dependsOn: [failed.id], position: 1 });
    const free = await h.seedTask(epic, { position: 2 });

    const outcome = await dispatch();
    expect(outcome.blocked).toEqual([
      { taskId: dependent.id, reason: expect.stringMatching(`task ${failed.id}`) },
    ]);
    expect(outcome.start).toEqual([free.id]);
    expect(await h.task(dependent.id)).toMatchObject({ state: 'BLOCKED' });
  });
});
