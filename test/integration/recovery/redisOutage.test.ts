import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  healthSchedulerId,
  reconcileSchedulerId,
} from '../../../src/agents/orchestrator/schedules.js';
import { parseEnv } from '../../../src/config/env.js';
import { oldestInOutbox } from '../../../src/db/outbox.js';
import { jobIds } from '../../../src/queues/jobs.js';
import { startUpkeep } from '../../../src/schedules.js';
import { startFactory, type RunningFactory } from '../../../src/startup.js';
import { startPrivateRedis, type PrivateRedis } from '../../support/privateRedis.js';
import { testRedisPrefix } from '../../support/redis.js';
import {
  eventually,
  freePort,
  postWebhook,
  testAppPrivateKey,
} from '../../support/signedWebhook.js';
import { labelEvent, testBotLogin } from '../../support/webhooks.js';

/**
 * Redis losing its data or going away, on a redis-server of this file's own
 * (the shared one is never stopped or flushed): the schedules come back
 * within one interval, and deliveries that arrive meanwhile are kept in the
 * outbox, answered 2xx, and queued once each, in order, when Redis is back.
 */

const secret = 'webhook-secret-for-tests';
const log = pino({ level: 'silent' });
let redis: PrivateRedis;
let factory: RunningFactory;
let dataDir: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  dataDir = mkdtempSync(path.join(tmpdir(), 'factory-redis-outage-'));
  factory = await startFactory(
    parseEnv({
      NODE_ENV: 'test',
      FACTORY_ROLE: 'web',
      APP_ID: '4242',
      PRIVATE_KEY: testAppPrivateKey(),
      WEBHOOK_SECRET: secret,
      GITHUB_API_URL: 'http://127.0.0.1:9',
      BOT_LOGIN: testBotLogin,
      FACTORY_DATA_DIR: dataDir,
      REDIS_URL: redis.url,
      REDIS_PREFIX: testRedisPrefix('outage'),
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      HEALTH_INTERVAL_SECONDS: '2',
    }),
    log,
  );
}, 60_000);
afterAll(async () => {
  await factory?.stop();
  await redis?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const schedulerKeys = async () =>
  (await factory.deps.queues.queue('orchestrator').getJobSchedulers()).map((s) => s.key).sort();

describe('schedules when Redis loses its data', () => {
  it('are back within one interval after FLUSHALL, and at once when a restarted Redis is ready', async () => {
    const upkeep = startUpkeep(factory.deps, { outboxEveryMs: 60_000 });
    try {
      await upkeep.runNow();
      expect(await schedulerKeys()).toEqual([healthSchedulerId, reconcileSchedulerId].sort());

      await redis.flushAll();
      expect(await schedulerKeys()).toEqual([]);
      // HEALTH_INTERVAL_SECONDS is 2: one interval, with room for a loaded machine.
      await eventually(
        async () => ((await schedulerKeys()).length === 2 ? true : undefined),
        'the schedules after FLUSHALL',
        2_000 + 8_000,
      );

      await redis.stop();
      await redis.start(); // a fresh server: nothing of before is there
      await eventually(
        async () => ((await schedulerKeys().catch(() => [])).length === 2 ? true : undefined),
        'the schedules after a restart',
        15_000,
      );
    } finally {
      upkeep.stop();
    }
  }, 60_000);
});

describe('webhooks while Redis is down', () => {
  it('are answered 2xx once kept in the outbox, then queued once each, in arrival order', async () => {
    const url = `http://127.0.0.1:${factory.port}/api/github/webhooks`;
    const delivered: string[] = [];
    await redis.stop();
    const outageEnds = Date.now() + 10_000;
    for (let n = 0; Date.now() < outageEnds; n++) {
      const { status, id } = await postWebhook(
        url,
        secret,
        'issues',
        labelEvent('labeled', 500 + n, 'factory:epic'),
      );
      expect(status).toBe(200);
      delivered.push(id);
      // GitHub redelivering one of them during the outage: kept once.
      if (n === 2) {
        const again = await postWebhook(
          url,
          secret,
          'issues',
          labelEvent('labeled', 502, 'factory:epic'),
          id,
        );
        expect(again.status).toBe(200);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(delivered.length).toBeGreaterThanOrEqual(5);
    const kept = await oldestInOutbox(factory.deps.db, 1_000);
    expect(kept.map((row) => row.deliveryId)).toEqual(delivered);

    await redis.start();
    // Redis is back: a delivery arrives straight on the queue, and one of the kept ones is redelivered.
    const after = await eventually(async () => {
      const sent = await postWebhook(
        url,
        secret,
        'issues',
        labelEvent('labeled', 600, 'factory:epic'),
      );
      return sent.status === 200 ? sent.id : undefined;
    }, 'a delivery once Redis is back');
    const upkeep = startUpkeep(factory.deps, { outboxEveryMs: 200, schedulesEveryMs: 60_000 });
    try {
      await eventually(
        async () => ((await oldestInOutbox(factory.deps.db, 1)).length === 0 ? true : undefined),
        'the outbox to drain',
      );
      const redelivered = await postWebhook(
        url,
        secret,
        'issues',
        labelEvent('labeled', 501, 'factory:epic'),
        delivered[1],
      );
      expect(redelivered.status).toBe(200);

      const jobs = await factory.deps.queues.queue('webhook').getJobs(['waiting']);
      const ids = jobs.map((job) => job.id ?? '');
      const expected = [...delivered, after].map((id) =>
        jobIds.fromDelivery('receive-webhook', id),
      );
      // Each delivery is one job: no loss, no duplicate.
      expect([...ids].sort()).toEqual([...expected].sort());
      // The kept deliveries reached the queue in the order GitHub sent them.
      const queuedAt = new Map(jobs.map((job) => [job.id, job.timestamp]));
      const keptOrder = delivered.map(
        (id) => queuedAt.get(jobIds.fromDelivery('receive-webhook', id)) ?? 0,
      );
      expect(keptOrder).toEqual([...keptOrder].sort((a, b) => a - b));
    } finally {
      upkeep.stop();
    }
  }, 90_000);
});
