import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { unavailableAgentRunner } from '../../../../src/agents/unavailable.js';
import {
  orchestratorDeps,
  type OrchestratorDeps,
} from '../../../../src/agents/orchestrator/orchestratorDeps.js';
import { parseEnv } from '../../../../src/config/env.js';
import { defaultRepoConfig, type RepoConfig } from '../../../../src/config/repoConfig.js';
import type { DatabaseHandle } from '../../../../src/db/connection.js';
import {
  decisionLog,
  epics,
  tasks,
  type Epic,
  type NewEpic,
  type NewTask,
  type Task,
} from '../../../../src/db/schema.js';
import type { FactoryDeps } from '../../../../src/deps.js';
import { queueOf, type JobName } from '../../../../src/queues/jobs.js';
import { JobQueues } from '../../../../src/queues/producer.js';
import { createTestDatabase } from '../../../support/database.js';
import { testOctokit } from '../../../support/github.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../../../support/redis.js';
import { testBotLogin } from '../../../support/webhooks.js';

export interface OrchestratorHarness {
  deps: OrchestratorDeps;
  database: DatabaseHandle & { url?: string };
  prefix: string;
  /** The `.github/factory.yml` every repository has in this test; change it freely. */
  config: RepoConfig;
  seedEpic(over?: Partial<NewEpic>): Promise<Epic>;
  seedTask(epic: Epic, over?: Partial<NewTask>): Promise<Task>;
  task(id: number): Promise<Task>;
  epic(id: number): Promise<Epic>;
  decisions(epicId: number): Promise<string[]>;
  jobs(name: JobName): Promise<{ id: string | undefined; data: unknown }[]>;
  close(): Promise<void>;
}

let issueCounter = 100;

/** Postgres, a Redis prefix of its own, GitHub through nock (or `github`), the model unavailable. */
export async function createOrchestratorHarness(
  env: Record<string, string> = {},
  github?: FactoryDeps['github'],
): Promise<OrchestratorHarness> {
  const database = await createTestDatabase('postgres');
  const prefix = testRedisPrefix('orch');
  const queues = JobQueues.connect(testRedisUrl, prefix);
  const base: FactoryDeps = {
    env: parseEnv({ NODE_ENV: 'test', REDIS_PREFIX: prefix, ...env }),
    db: database.db,
    queues,
    github: github ?? {
      forInstallation: async () => testOctokit(),
      installationToken: async () => 'test-installation-token',
      botLogin: async () => testBotLogin,
    },
    log: pino({ level: 'silent' }),
    agents: unavailableAgentRunner,
  };
  const harness: OrchestratorHarness = {
    deps: orchestratorDeps(base, { repoConfigs: async () => harness.config }),
    database,
    prefix,
    config: structuredClone(defaultRepoConfig),
    async seedEpic(over = {}) {
      const number = (issueCounter += 1);
      const [row] = await database.db
        .insert(epics)
        .values({
          installationId: 1,
          repoId: 500,
          repoOwner: 'octo',
          repoName: 'lib',
          issueNumber: number,
          issueId: 9000 + number,
          title: `Epic ${number}`,
          state: 'IN_PROGRESS',
          ...over,
        })
        .returning();
      if (!row) throw new Error('no epic');
      return row;
    },
    async seedTask(epic, over = {}) {
      const number = (issueCounter += 1);
      const [row] = await database.db
        .insert(tasks)
        .values({
          epicId: epic.id,
          issueNumber: number,
          issueId: 9000 + number,
          title: `Task ${number}`,
          ...over,
        })
        .returning();
      if (!row) throw new Error('no task');
      return row;
    },
    async task(id) {
      const [row] = await database.db.select().from(tasks).where(eq(tasks.id, id));
      if (!row) throw new Error(`no task ${id}`);
      return row;
    },
    async epic(id) {
      const [row] = await database.db.select().from(epics).where(eq(epics.id, id));
      if (!row) throw new Error(`no epic ${id}`);
      return row;
    },
    async decisions(epicId) {
      const rows = await database.db
        .select({ decision: decisionLog.decision })
        .from(decisionLog)
        .where(eq(decisionLog.epicId, epicId))
        .orderBy(decisionLog.id);
      return rows.map((row) => row.decision);
    },
    async jobs(name) {
      const jobs = await queues
        .queue(queueOf(name))
        .getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed']);
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
  return harness;
}
