import { spawnSync } from 'node:child_process';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../../src/config/env.js';
import { findEpicByIssue, upsertEpicFromIssue } from '../../../src/db/epics.js';
import { queueOf } from '../../../src/queues/jobs.js';
import { startFactory, type RunningFactory } from '../../../src/startup.js';
import { createEmptyPostgresDatabase } from '../../support/database.js';
import { assertNockDone, githubApi, TestOctokit } from '../../support/github.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../../support/redis.js';
import {
  eventually,
  freePort,
  postWebhook,
  testAppPrivateKey,
} from '../../support/signedWebhook.js';
import { labelEvent, testBotLogin, testRepo } from '../../support/webhooks.js';

const secret = 'webhook-secret-for-tests';
const privateKey = testAppPrivateKey();
const log = pino({ level: 'silent' });
let database: { url: string; drop(): Promise<void> };
const prefixes: string[] = [];

/** Each factory its own queues, so one test's jobs are not run by another's worker. */
function newPrefix() {
  const prefix = testRedisPrefix('startup');
  prefixes.push(prefix);
  return prefix;
}

async function start(role: 'web' | 'worker' | 'all', extra: Record<string, string> = {}) {
  const env = parseEnv({
    NODE_ENV: 'test',
    FACTORY_ROLE: role,
    APP_ID: '4242',
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secret,
    GITHUB_API_URL: githubApi,
    BOT_LOGIN: testBotLogin,
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: newPrefix(),
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    ...extra,
  });
  return startFactory(env, log, { Octokit: TestOctokit });
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  database = await createEmptyPostgresDatabase();
});
afterAll(async () => {
  await database?.drop();
  for (const prefix of prefixes) await deleteRedisPrefix(prefix);
});
afterEach(assertNockDone);

describe('the web role', () => {
  let factory: RunningFactory;
  beforeAll(async () => {
    factory = await start('web');
  });
  afterAll(async () => {
    await factory?.stop();
  });

  it('reports database and Redis up on /factory/healthz', async () => {
    const response = await fetch(`http://127.0.0.1:${factory.port}/factory/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'up', redis: 'up' });
  });

  it('serves the status page beside the webhooks', async () => {
    const response = await fetch(`http://127.0.0.1:${factory.port}/factory`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    await response.arrayBuffer();
  });

  it('answers a signed webhook by queueing the delivery, touching neither GitHub nor the records', async () => {
    const url = `http://127.0.0.1:${factory.port}/api/github/webhooks`;
    const payload = labelEvent('labeled', 90, 'factory:epic');
    const { status, id } = await postWebhook(url, secret, 'issues', payload);
    expect(status).toBe(200);
    const queue = factory.deps.queues.queue(queueOf('receive-webhook'));
    const job = await queue.getJob(`receive-webhook-d${id}`);
    expect(job?.data).toEqual({ deliveryId: id, event: 'issues', body: payload });
    expect(await findEpicByIssue(factory.deps.db, testRepo.id, 90)).toBeUndefined();

    const again = await postWebhook(url, secret, 'issues', payload, id);
    expect(again.status).toBe(200);
    expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
  });

  it('refuses a delivery with a wrong signature', async () => {
    const url = `http://127.0.0.1:${factory.port}/api/github/webhooks`;
    const { status } = await postWebhook(
      url,
      'not-the-secret',
      'issues',
      labelEvent('labeled', 91, 'factory:epic'),
    );
    expect(status).toBeGreaterThanOrEqual(400);
    expect(await findEpicByIssue(factory.deps.db, testRepo.id, 91)).toBeUndefined();
  });
});

describe('the all role', () => {
  it('takes a queued webhook in: authenticates as the installation, records and enqueues', async () => {
    const factory = await start('all');
    try {
      nock(githubApi)
        .post('/app/installations/5151/access_tokens')
        .reply(201, {
          token: 'ghs_test',
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        })
        .get('/repos/acme/shop/contents/.github%2Ffactory.yml')
        .reply(404)
        .get('/repos/acme/.github/contents/.github%2Ffactory.yml')
        .reply(404);
      const url = `http://127.0.0.1:${factory.port}/api/github/webhooks`;
      const { status, id } = await postWebhook(
        url,
        secret,
        'issues',
        labelEvent('labeled', 92, 'factory:epic'),
      );
      expect(status).toBe(200);
      const epic = await eventually(
        () => findEpicByIssue(factory.deps.db, testRepo.id, 92),
        'the epic recorded from the queued delivery',
      );
      expect(epic.state).toBe('PLANNING');
      // The epic row is written before its plan job is queued: wait for the job too.
      const planJob = await eventually(
        () => factory.deps.queues.queue(queueOf('plan-epic')).getJob(`plan-epic-d${id}`),
        'the plan-epic job',
      );
      expect(planJob.data).toMatchObject({ epicId: epic.id });
    } finally {
      await factory.stop();
    }
  });
});

describe('the worker role', () => {
  it('runs queued jobs with an installation Octokit, and serves no HTTP', async () => {
    const factory = await start('worker');
    try {
      expect(factory.port).toBeUndefined();
      // A worker reconciles at once on start; let that first pass end before the epic exists,
      // or it would read the epic's labels too (the next pass is RECONCILE_INTERVAL_SECONDS away).
      const orchestrator = factory.deps.queues.queue('orchestrator');
      await eventually(async () => {
        const done = await orchestrator.getJobs(['completed', 'failed']);
        return done.some((job) => job.name === 'reconcile') || undefined;
      }, 'the first reconcile pass');
      const { epic } = await upsertEpicFromIssue(factory.deps.db, {
        installationId: 5151,
        repoId: testRepo.id,
        repoOwner: 'acme',
        repoName: 'shop',
        issueNumber: 95,
        issueId: 95_000,
        title: 'Epic 95',
      });
      const labelNames = [
        'factory:epic',
        'factory:planning',
        'factory:in-progress',
        'factory:review',
        'factory:blocked',
        'factory:done',
      ];
      nock(githubApi)
        .post('/app/installations/5151/access_tokens')
        .reply(201, {
          token: 'ghs_test',
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        })
        .get('/repos/acme/shop/contents/.github%2Ffactory.yml')
        .reply(404)
        .get('/repos/acme/.github/contents/.github%2Ffactory.yml')
        .reply(404)
        .get('/repos/acme/shop/labels')
        .query(true)
        .reply(
          200,
          labelNames.map((name, id) => ({ id, name })),
        )
        .get('/repos/acme/shop/issues/95/reactions')
        .query(true)
        .reply(200, [])
        .post('/repos/acme/shop/issues/95/reactions')
        .reply(201, { id: 1, content: 'eyes' })
        .get('/repos/acme/shop/issues/95/labels')
        .query(true)
        .reply(200, [])
        .post('/repos/acme/shop/issues/95/labels', { labels: ['factory:planning'] })
        .reply(200, []);
      const payload = { epicId: epic.id, installationId: 5151, owner: 'acme', repo: 'shop' };
      await factory.deps.queues.enqueue('acknowledge-epic', payload, { jobId: 'ack-startup-95' });
      const queue = factory.deps.queues.queue('epic');
      const state = await eventually(async () => {
        const current = await (await queue.getJob('ack-startup-95'))?.getState();
        return current === 'completed' || current === 'failed' ? current : undefined;
      }, 'the acknowledge-epic job');
      const failedReason = (await queue.getJob('ack-startup-95'))?.failedReason;
      expect({ state, failedReason }).toEqual({ state: 'completed', failedReason: undefined });
    } finally {
      await factory.stop();
    }
  });
});

describe('health when Redis is down', () => {
  it('answers 503 and names what is down', async () => {
    const closed = await freePort();
    const factory = await start('web', { REDIS_URL: `redis://127.0.0.1:${closed}` });
    try {
      const response = await fetch(`http://127.0.0.1:${factory.port}/factory/healthz`);
      expect(response.status).toBe(503);
      const report = (await response.json()) as Record<string, string>;
      expect(report.status).toBe('down');
      expect(report.database).toBe('up');
      expect(report.redis).toMatch(/^down: /);
    } finally {
      await factory.stop();
    }
  });
});

describe('npm start with a bad environment', () => {
  it('prints one line naming the variable and exits 1', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, PORT: 'eighty', REDIS_URL: 'http://nope' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^Invalid environment — PORT: .*; REDIS_URL: a redis:\/\/ or rediss:\/\/ URL$/,
    );
  });
});

describe('npm start in production without App credentials', () => {
  it('prints one line saying what to set and exits 1, with no stack trace and no setup page', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(39_999) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Factory cannot start in production: no GitHub App credentials\./);
    expect(lines[0]).toContain('APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET');
    expect(result.stdout).not.toContain('open http://localhost');
  });
});

describe('start-up warnings and the status page’s privacy', () => {
  /** A web or all process whose log lines are kept, on a host of the test's choosing. */
  async function startLogged(role: 'web' | 'all', extra: Record<string, string>) {
    const lines: string[] = [];
    const logged = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const env = parseEnv({
      NODE_ENV: 'test',
      FACTORY_ROLE: role,
      APP_ID: '4242',
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: secret,
      GITHUB_API_URL: githubApi,
      BOT_LOGIN: testBotLogin,
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: newPrefix(),
      PORT: String(await freePort()),
      ...extra,
    });
    const factory = await startFactory(env, logged, { Octokit: TestOctokit });
    return { factory, lines, url: `http://127.0.0.1:${factory.port}` };
  }

  it('closes the page and its API (401) on a non-loopback address without a token, and says how to open it', async () => {
    const { factory, lines, url } = await startLogged('web', { HOST: '0.0.0.0' });
    try {
      const page = await fetch(`${url}/factory`);
      expect(page.status).toBe(401);
      const body = await page.text();
      expect(body).toContain('Status page closed');
      expect(body).toContain('STATUS_PAGE_TOKEN');
      expect(body).not.toMatch(/<form/);
      const api = await fetch(`${url}/factory/api/overview`);
      expect(api.status).toBe(401);
      expect(((await api.json()) as { error: string }).error).toMatch(/STATUS_PAGE_PUBLIC=true/);
      // Load balancers still see whether the process is healthy.
      expect((await fetch(`${url}/factory/healthz`)).status).toBe(200);
      expect(lines.join('\n')).toMatch(/status page closed: the server listens on 0\.0\.0\.0/);
    } finally {
      await factory.stop();
    }
  });

  it('opens the page on a non-loopback address only when STATUS_PAGE_PUBLIC=true, with a warning', async () => {
    const { factory, lines, url } = await startLogged('web', {
      HOST: '0.0.0.0',
      STATUS_PAGE_PUBLIC: 'true',
    });
    try {
      expect((await fetch(`${url}/factory`)).status).toBe(200);
      expect(lines.join('\n')).toContain('STATUS_PAGE_PUBLIC=true');
    } finally {
      await factory.stop();
    }
  });

  it('warns at start and above every page when no model key or address is set', async () => {
    const { factory, lines, url } = await startLogged('all', {
      HOST: '127.0.0.1',
      ANTHROPIC_API_KEY: '',
      ANTHROPIC_BASE_URL: '',
    });
    try {
      const warning = lines
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .find((entry) => entry.msg.startsWith('No model key'));
      expect(warning?.level).toBe(40);
      const page = await (await fetch(`${url}/factory`)).text();
      expect(page).toContain('No model key: ANTHROPIC_API_KEY is not set');
    } finally {
      await factory.stop();
    }
  });
});
