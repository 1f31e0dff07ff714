import type { Job } from 'bullmq';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { QueueUnavailableError } from '../../../src/queues/connection.js';
import { InvalidJobPayloadError } from '../../../src/queues/jobs.js';
import { JobQueues } from '../../../src/queues/producer.js';
import { startQueueWorkers } from '../../../src/queues/workers.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../../support/redis.js';
import { eventually, freePort } from '../../support/signedWebhook.js';

const prefix = testRedisPrefix('queues');
const queues = JobQueues.connect(testRedisUrl, prefix);
const log = pino({ level: 'silent' });

afterAll(async () => {
  await queues.close();
  await deleteRedisPrefix(prefix);
});

describe('the producer', () => {
  it('fails fast, with a QueueUnavailableError naming Redis, when Redis is down', async () => {
    const down = JobQueues.connect(`redis://127.0.0.1:${await freePort()}`, prefix);
    try {
      for (const attempt of [1, 2]) {
        const started = performance.now();
        const enqueue = down.enqueue('health-check', {}, { jobId: `down-${attempt}` });
        await expect(enqueue).rejects.toBeInstanceOf(QueueUnavailableError);
        await expect(enqueue).rejects.toThrow(/Redis at 127\.0\.0\.1:\d+ is not reachable/);
        expect(performance.now() - started).toBeLessThan(1_000);
      }
    } finally {
      await down.close();
    }
  });

  it('ignores a job whose id is already queued', async () => {
    const payload = { epicId: 1, installationId: 2, owner: 'acme', repo: 'shop' };
    const first = await queues.enqueue('plan-epic', payload, { jobId: 'plan-epic-dup' });
    const second = await queues.enqueue(
      'plan-epic',
      { ...payload, epicId: 99 },
      {
        jobId: 'plan-epic-dup',
      },
    );
    expect(second.id).toBe(first.id);
    const waiting = await queues.queue('epic').getJobs(['waiting']);
    expect(waiting.filter((job) => job.id === 'plan-epic-dup')).toHaveLength(1);
    expect((await queues.queue('epic').getJob('plan-epic-dup'))?.data.epicId).toBe(1);
  });

  it('refuses an invalid payload before anything reaches Redis', async () => {
    const enqueue = queues.enqueue(
      'implement-task',
      // @ts-expect-error the point: a payload that does not match the schema
      { taskId: -1, installationId: 2, owner: '', repo: 'shop' },
      { jobId: 'bad-payload' },
    );
    await expect(enqueue).rejects.toBeInstanceOf(InvalidJobPayloadError);
    await expect(enqueue).rejects.toThrow(/taskId: .*owner: .*attempt: /);
    expect(await queues.queue('task').getJob('bad-payload')).toBeUndefined();
  });
});

describe('the workers', () => {
  it('fail a job whose stored payload is invalid, saying why', async () => {
    const workers = startQueueWorkers({
      redisUrl: testRedisUrl,
      prefix,
      log,
      queues: ['orchestrator'],
      processors: { reconcile: async () => 'ran' },
    });
    try {
      // Written around the producer, as an old or foreign producer might.
      await queues.queue('orchestrator').add(
        'reconcile',
        { epicId: 'seven' },
        {
          jobId: 'raw-bad',
          attempts: 1,
        },
      );
      const job = await eventually(async () => {
        const found = await queues.queue('orchestrator').getJob('raw-bad');
        return found?.failedReason ? found : undefined;
      }, 'the bad job to fail');
      expect(job.failedReason).toMatch(/Job reconcile has an invalid payload — epicId/);
    } finally {
      await workers.close();
    }
  });

  it('on close (as on SIGTERM) let the running job finish before returning', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: (job: Job) => void;
    const running = new Promise<Job>((resolve) => (started = resolve));
    const workers = startQueueWorkers({
      redisUrl: testRedisUrl,
      prefix,
      log,
      queues: ['orchestrator'],
      processors: {
        'health-check': async (_payload, job) => {
          started(job);
          await released;
          return 'finished';
        },
      },
    });
    await queues.enqueue('health-check', {}, { jobId: 'long-running' });
    await running;
    let closed = false;
    const closing = workers.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false); // still waiting for the job
    release();
    await closing;
    const job = await queues.queue('orchestrator').getJob('long-running');
    expect(await job?.getState()).toBe('completed');
    expect(job?.returnvalue).toBe('finished');
  });
});
