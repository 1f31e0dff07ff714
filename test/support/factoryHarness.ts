import { pino } from 'pino';
import { Probot } from 'probot';
import { createFactoryApp } from '../../src/app.js';
import { parseEnv } from '../../src/config/env.js';
import type { DatabaseHandle } from '../../src/db/connection.js';
import type { FactoryDeps, GitHubClients } from '../../src/deps.js';
import { unavailableAgentRunner } from '../../src/agents/unavailable.js';
import { JobQueues } from '../../src/queues/producer.js';
import { queueOf, type JobName } from '../../src/queues/jobs.js';
import { createTestDatabase, type TestDatabaseKind } from './database.js';
import { TestOctokit, testOctokit } from './github.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from './redis.js';
import { testBotLogin } from './webhooks.js';

export interface FactoryHarness {
  probot: Probot;
  deps: FactoryDeps;
  database: DatabaseHandle;
  /** Jobs waiting in the queue of this job kind, as name → payload, oldest first. */
  queuedJobs(name: JobName): Promise<{ id: string | undefined; data: unknown }[]>;
  close(): Promise<void>;
}

/**
 * The real Factory app in a real Probot (GitHub via nock), with a database
 * and a Redis prefix of its own. No workers run: tests look at what was enqueued.
 */
export async function createFactoryHarness(
  kind: TestDatabaseKind = 'postgres',
): Promise<FactoryHarness> {
  const database = await createTestDatabase(kind);
  const prefix = testRedisPrefix('intake');
  const queues = JobQueues.connect(testRedisUrl, prefix);
  const log = pino({ level: 'silent' });
  const github: GitHubClients = {
    forInstallation: async () => testOctokit(),
    installationToken: async () => 'test-installation-token',
    botLogin: async () => testBotLogin,
  };
  const deps: FactoryDeps = {
    env: parseEnv({ NODE_ENV: 'test', REDIS_PREFIX: prefix }),
    db: database.db,
    queues,
    github,
    log,
    agents: unavailableAgentRunner,
  };
  const probot = new Probot({ githubToken: 'test-installation-token', Octokit: TestOctokit, log });
  await probot.load(createFactoryApp(deps));
  return {
    probot,
    deps,
    database,
    async queuedJobs(name) {
      const jobs = await queues.queue(queueOf(name)).getJobs(['waiting', 'delayed', 'prioritized']);
      return jobs
        .filter((job) => job.name === name)
        .sort((a, b) => a.timestamp - b.timestamp)
        .map((job) => ({ id: job.id, data: job.data }));
    },
    async close() {
      await queues.close();
      await database.close();
      await deleteRedisPrefix(prefix);
    },
  };
}
