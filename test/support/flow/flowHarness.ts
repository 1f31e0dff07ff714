import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { buildFlowProcessors } from '../../../src/agents/flow/processors.js';
import { FlowServices } from '../../../src/agents/flow/services.js';
import type { AgentRunner } from '../../../src/agents/runtime/types.js';
import { parseEnv } from '../../../src/config/env.js';
import type { Database, DatabaseHandle } from '../../../src/db/connection.js';
import { upsertEpicFromIssue } from '../../../src/db/epics.js';
import type { Epic } from '../../../src/db/schema.js';
import type { FactoryDeps } from '../../../src/deps.js';
import type { Logger } from '../../../src/logger.js';
import { JobQueues } from '../../../src/queues/producer.js';
import { startQueueWorkers, type QueueWorkers } from '../../../src/queues/workers.js';
import { createTestDatabase } from '../database.js';
import { startGitHttpServer, type GitHttpServer } from '../git/gitHttpServer.js';
import { createBareRemote, git } from '../git/localRemote.js';
import { useNock } from '../github.js';
import { TestProbotOctokit } from '../probotOctokit.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../redis.js';
import { FakeGitHub } from './fakeGitHub.js';

/**
 * Everything the supervisor's and worker's jobs touch, real except GitHub's
 * REST API (FakeGitHub over nock) and, by default, the model: a PostgreSQL
 * database, a Redis prefix, BullMQ workers, and a git remote served over
 * HTTP that demands the installation token.
 */

export const flowToken = 'ghs_flowTestInstallationToken0123456789';
export const flowBot = 'factory-app[bot]';

export interface FlowHarness {
  deps: FactoryDeps;
  /** The test database's URL, for a child process that opens it too. */
  databaseUrl: string | undefined;
  flow: FlowServices;
  github: FakeGitHub;
  bare: string;
  gitServer: GitHttpServer;
  temp: string;
  worktreeRoot: string;
  /** Files the repository starts with. */
  createEpic(title: string, body: string): Promise<Epic>;
  startWorkers(): QueueWorkers;
  close(): Promise<void>;
}

export async function createFlowHarness(options: {
  /** The runner, or how to make it from the harness's database and scratch folder (the real one needs both). */
  agents: AgentRunner | ((made: { db: Database; temp: string }) => AgentRunner);
  config?: string;
  files?: Record<string, string>;
  env?: Record<string, string>;
  /** The app's logger (default: a silent one). */
  log?: Logger;
  /** The Octokit class installation clients are made from (default: TestProbotOctokit). */
  octokit?: typeof TestProbotOctokit;
}): Promise<FlowHarness> {
  useNock();
  const temp = mkdtempSync(path.join(os.tmpdir(), 'factory-flow-'));
  const remotes = path.join(temp, 'remotes');
  const bare = createBareRemote(remotes, 'app', options.files ?? { 'README.md': '# app\n' });
  const gitServer = await startGitHttpServer(remotes, flowToken);
  const github = new FakeGitHub({
    owner: 'acme',
    repo: 'app',
    cloneUrl: `${gitServer.baseUrl}/app.git`,
    botLogin: flowBot,
    botId: 4242,
    config: options.config,
    headSha: (branch) => git(bare, 'rev-parse', `refs/heads/${branch}`).trim(),
  });
  const database: DatabaseHandle & { url?: string } = await createTestDatabase('postgres');
  const prefix = testRedisPrefix('flow');
  const queues = JobQueues.connect(testRedisUrl, prefix);
  const log = options.log ?? pino({ level: process.env.FLOW_TEST_LOG ?? 'silent' });
  const Octokit = options.octokit ?? TestProbotOctokit;
  const worktreeRoot = path.join(temp, 'worktrees');
  const deps: FactoryDeps = {
    env: parseEnv({
      NODE_ENV: 'test',
      REDIS_PREFIX: prefix,
      WORKTREE_DIR: worktreeRoot,
      ...options.env,
    }),
    db: database.db,
    queues,
    github: {
      forInstallation: async () => new Octokit({ auth: { token: 'test-installation-token' } }),
      installationToken: async () => flowToken,
      botLogin: async () => flowBot,
    },
    log,
    agents:
      typeof options.agents === 'function'
        ? options.agents({ db: database.db, temp })
        : options.agents,
  };
  const workers: QueueWorkers[] = [];
  return {
    deps,
    databaseUrl: database.url,
    flow: new FlowServices(deps, { commandTimeoutMs: 30_000 }),
    github,
    bare,
    gitServer,
    temp,
    worktreeRoot,
    async createEpic(title, body) {
      const issue = github.createIssue({ title, body }, 'maintainer');
      const { epic } = await upsertEpicFromIssue(database.db, {
        installationId: 1,
        repoId: 77,
        repoOwner: 'acme',
        repoName: 'app',
        issueNumber: issue.number,
        issueId: issue.id,
        title,
        body,
      });
      return epic;
    },
    startWorkers() {
      const started = startQueueWorkers({
        redisUrl: testRedisUrl,
        prefix,
        processors: buildFlowProcessors(deps, { commandTimeoutMs: 30_000 }),
        log,
        queues: ['epic', 'task'],
        concurrency: { task: 2 },
      });
      workers.push(started);
      return started;
    },
    async close() {
      for (const started of workers) await started.close();
      await queues.close();
      await database.close();
      await deleteRedisPrefix(prefix);
      await gitServer.close();
      github.close();
      rmSync(temp, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
