import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqQueueHealth } from '../../../src/web/queueHealth.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../../support/redis.js';

async function until(check: () => Promise<boolean>, what: string, deadlineMs = 15_000) {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('queue health from BullMQ', () => {
  const prefix = testRedisPrefix('web');
  const connection = new Redis(testRedisUrl, { maxRetriesPerRequest: null });
  const taskQueue = new Queue('task', { connection, prefix });
  const epicQueue = new Queue('epic', { connection, prefix });
  let worker: Worker | undefined;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });

  beforeAll(async () => {
    await taskQueue.add('implement-task', {}, { jobId: 'fails', attempts: 1 });
    await taskQueue.add('implement-task', {}, { jobId: 'holds', attempts: 1 });
    worker = new Worker(
      'task',
      async (job: Job) => {
        if (job.id === 'fails') throw new Error('boom');
        await held;
      },
      {
        connection: new Redis(testRedisUrl, { maxRetriesPerRequest: null }),
        prefix,
        concurrency: 1,
      },
    );
    await until(async () => (await taskQueue.getFailedCount()) === 1, 'the failing job');
    await until(async () => (await taskQueue.getActiveCount()) === 1, 'the held job');
    await taskQueue.add('implement-task', {}, { jobId: 'waits-1' });
    await taskQueue.add('implement-task', {}, { jobId: 'waits-2', priority: 5 });
    await taskQueue.add('implement-task', {}, { jobId: 'later', delay: 60_000 });
  });

  afterAll(async () => {
    release();
    await worker?.close(true);
    await taskQueue.close();
    await epicQueue.close();
    connection.disconnect();
    await deleteRedisPrefix(prefix);
  });

  it('counts waiting (including prioritized), active, delayed and failed jobs per queue', async () => {
    // One slot, taken by the held job: the two added after it wait (one of them prioritized).
    const health = await bullmqQueueHealth([taskQueue, epicQueue])();
    expect(health.available).toBe(true);
    if (!health.available) return;
    const task = health.queues.find((q) => q.name === 'task');
    expect(task).toEqual({ name: 'task', waiting: 2, active: 1, delayed: 1, failed: 1 });
    expect(health.queues.find((q) => q.name === 'epic')).toEqual({
      name: 'epic',
      waiting: 0,
      active: 0,
      delayed: 0,
      failed: 0,
    });
  });

  it('reports Redis being unreachable instead of hanging, without its URL', async () => {
    const dead = new Redis('redis://:hunter2@127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    const queue = new Queue('task', { connection: dead, prefix });
    queue.on('error', () => undefined);
    try {
      const started = Date.now();
      const health = await bullmqQueueHealth([queue], 1_000)();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(health.available).toBe(false);
      if (!health.available) expect(health.reason).not.toContain('hunter2');
    } finally {
      await queue.close().catch(() => undefined);
      dead.disconnect();
    }
  });
});
