/**
 * The whole loop across a PostgreSQL restart (issue 14, "a test with
 * PostgreSQL restarted mid-run"), on a cluster of the test's own so the shared
 * server is never restarted: while the workers' engines work (their last turn
 * held back), PostgreSQL stops for a few seconds and starts again. The epic
 * completes; an infrastructure error is never the agent's failure, so no task
 * spends a second attempt, and no run is left `running`.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { agentRuns, agents } from '../../src/db/schema.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/privatePostgres.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { FactoryLoop } from './support/loop.js';
import { printLogTail, tearDownLoop } from './support/logTail.js';
import { duplicateBotComments, epicCompleted, epicRecords } from './support/loopRecords.js';
import { plannedTasks } from './support/textkitEpic.js';

const epicTimeoutMs = 300_000;
vi.setConfig({ testTimeout: epicTimeoutMs + 120_000 });

const redisPrefix = testRedisPrefix('e2e-pg-restart');
let pg: PrivatePostgres | undefined;
let loop: FactoryLoop | undefined;
let records: DatabaseHandle | undefined;
let failed = true;

afterAll(async () => {
  await tearDownLoop({ loop, failed, records, redisPrefix });
  pg?.remove();
});

describe('an epic whose PostgreSQL restarts while workers run', () => {
  it('completes with every task on its first attempt and no run left running', async () => {
    pg = await startPrivatePostgres();
    const running = await FactoryLoop.start({
      redisUrl: testRedisUrl,
      redisPrefix,
      databaseUrl: pg.url,
      // Each worker's last turn is held back: the window in which PostgreSQL restarts.
      workerDelayMs: 8_000,
    });
    loop = running;
    await running.app.start();
    const epic = running.openEpic();
    await running.model.waitForRequest(
      (request) =>
        request.view !== undefined &&
        request.view.system.includes('Factory worker') &&
        request.view.turnIndex === 2,
      epicTimeoutMs,
    );
    pg.stop();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    pg.start();
    console.log('PostgreSQL restarted while a worker turn was held back');

    // The test's own connection is opened only now: its pool never saw the restart.
    records = await openDatabase({ databaseUrl: pg.url });
    const db = records.db;
    await running
      .waitFor('the epic to complete', () => epicCompleted(db, running.repo, epic), epicTimeoutMs)
      .catch(async (error: unknown) => {
        await printLogTail(running);
        throw error;
      });

    const { tasks, runs } = await epicRecords(db, epic.number);
    expect(tasks.map((t) => t.title)).toEqual(plannedTasks.map((t) => t.title));
    expect(tasks.map((t) => t.state)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    // The restart cost no task an attempt.
    expect(tasks.map((t) => t.attempts)).toEqual([1, 1, 1]);
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
    // Each task's implementation succeeded (continued, or resumed after an infrastructure stop).
    const workerRuns = await db
      .select({ purpose: agentRuns.purpose, status: agentRuns.status, error: agentRuns.error })
      .from(agentRuns)
      .innerJoin(agents, eq(agents.id, agentRuns.agentId))
      .where(and(eq(agents.kind, 'worker'), eq(agentRuns.purpose, 'implement')));
    expect(workerRuns.filter((r) => r.status === 'succeeded')).toHaveLength(3);
    // A run stopped by the restart says so: infrastructure, not the agent.
    for (const stopped of workerRuns.filter((r) => r.status !== 'succeeded')) {
      expect(stopped.error).toMatch(/^infrastructure: /);
    }
    expect(running.pulls()).toHaveLength(3);
    expect(duplicateBotComments(running.repo, running.emulator.app.botLogin)).toEqual([]);
    failed = false;
  });
});
