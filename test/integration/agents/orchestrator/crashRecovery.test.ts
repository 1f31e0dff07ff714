import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHealthCheck } from '../../../../src/agents/orchestrator/health/healthCheck.js';
import { recoverDeadAgents } from '../../../../src/agents/orchestrator/health/recoverDeadAgents.js';
import { agents } from '../../../../src/db/schema.js';
import { workerConnection } from '../../../../src/queues/connection.js';
import { useNock } from '../../../support/github.js';
import { testRedisUrl } from '../../../support/redis.js';
import { createOrchestratorHarness, type OrchestratorHarness } from './harness.js';
import { fakeImplementTask } from './support/fakeTaskWorker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let h: OrchestratorHarness;
let child: ChildProcess | undefined;
let worker: Worker | undefined;

beforeAll(async () => {
  useNock();
  h = await createOrchestratorHarness();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await worker?.close();
  nock.enableNetConnect();
  await h.close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function startStallingWorker(): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'support/stallingWorker.ts')],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: h.database.url,
        REDIS_URL: testRedisUrl,
        REDIS_PREFIX: h.prefix,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let errors = '';
    proc.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('STARTED')) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`stalling worker exited (${code}): ${errors}`)));
  });
}

describe('crash recovery', () => {
  it('a worker process killed mid-run: its task is picked up again and completed', async () => {
    const epic = await h.seedEpic();
    const task = await h.seedTask(epic);
    const ref = { installationId: 1, owner: 'octo', repo: 'lib' };
    await h.deps.queues.enqueue(
      'implement-task',
      { taskId: task.id, ...ref, attempt: 1 },
      { jobId: `implement-task-${task.id}-1` },
    );

    child = await startStallingWorker();
    expect(await h.task(task.id)).toMatchObject({ state: 'IN_PROGRESS', attempts: 1 });
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));

    // The heartbeat timeout is 300 s: the death is seen because the job's lock is gone.
    const [dead] = await until('the dead agent to be found', async () => {
      const found = await recoverDeadAgents(h.deps);
      return found.length > 0 ? found : undefined;
    });
    expect(dead).toMatchObject({ taskId: task.id, recovery: 'requeue' });
    expect(dead?.cause).toMatch(/stalled/);
    expect(await h.task(task.id)).toMatchObject({ state: 'PENDING', attempts: 1 });
    const [buried] = await h.database.db.select().from(agents).where(eq(agents.taskId, task.id));
    expect(buried).toMatchObject({ state: 'FAILED', sessionId: `session-${task.id}-1` });

    // The health pass hands the free slot to the task's next attempt (which finds the
    // interrupted run itself and resumes its session: see killedWorker.test.ts).
    const report = await runHealthCheck(h.deps);
    expect(report.allocation.dispatched).toEqual([task.id]);
    const next = (await h.jobs('implement-task')).find(
      (j) => j.id === `implement-task-${task.id}-2`,
    );
    expect(next?.data).toMatchObject({ attempt: 2 });

    // A live worker process takes it; the stalled first job, if BullMQ runs it again, is stale.
    const results: unknown[] = [];
    worker = new Worker('task', (job) => fakeImplementTask(h.deps, job), {
      connection: workerConnection(testRedisUrl),
      prefix: h.prefix,
      lockDuration: 2_000,
      stalledInterval: 1_000,
    });
    worker.on('completed', (_job, result) => results.push(result));
    await until('the task to complete', async () =>
      (await h.task(task.id)).state === 'COMPLETED' ? true : undefined,
    );
    expect(await h.task(task.id)).toMatchObject({ state: 'COMPLETED', attempts: 2 });
    expect(results).toContainEqual({ outcome: 'completed', attempt: 2 });
    expect(results).not.toContainEqual(
      expect.objectContaining({ outcome: 'completed', attempt: 1 }),
    );
    expect(await h.decisions(epic.id)).toEqual(['start-task', 'agent-dead:requeue', 'start-task']);
  });
});
