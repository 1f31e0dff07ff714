/**
 * A worker process the kill test SIGKILLs mid-run: it consumes the task queue
 * with the REAL `implement-task` job and the real agent runner (the Claude
 * Code engine, pointed at the test's scripted model). GitHub's REST API is a
 * FakeGitHub of its own over nock (it only reads the repository and its
 * config before the agent starts); git goes to the test's HTTP remote; the
 * database, Redis and the agents' home are the test's. BullMQ keeps the
 * job's lock alive only while this process lives (2 s lock here).
 */
import { Worker } from 'bullmq';
import { pino } from 'pino';
import { FlowServices } from '../../../../../src/agents/flow/services.js';
import { createAgentRunner } from '../../../../../src/agents/runtime/runner.js';
import { implementTask } from '../../../../../src/agents/worker/implementTask.js';
import { parseEnv } from '../../../../../src/config/env.js';
import { openDatabase } from '../../../../../src/db/connection.js';
import type { FactoryDeps } from '../../../../../src/deps.js';
import { workerConnection } from '../../../../../src/queues/connection.js';
import { parseJobPayload } from '../../../../../src/queues/jobs.js';
import { JobQueues } from '../../../../../src/queues/producer.js';
import { FakeGitHub } from '../../../../support/flow/fakeGitHub.js';
import { useNock } from '../../../../support/github.js';
import { TestProbotOctokit } from '../../../../support/probotOctokit.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const env = parseEnv(process.env);
const log = pino({ level: 'warn' }, pino.destination(2));
useNock();
new FakeGitHub({
  owner: 'acme',
  repo: 'app',
  cloneUrl: required('KILL_TEST_CLONE_URL'),
  botLogin: required('KILL_TEST_BOT'),
  botId: 4242,
  config: required('KILL_TEST_CONFIG'),
  headSha: () => {
    throw new Error('this process never opens a pull request');
  },
});
const handle = await openDatabase({ databaseUrl: env.DATABASE_URL });
const deps: FactoryDeps = {
  env,
  db: handle.db,
  queues: JobQueues.connect(env.REDIS_URL, env.REDIS_PREFIX),
  github: {
    forInstallation: async () =>
      new TestProbotOctokit({ auth: { token: 'test-installation-token' } }),
    installationToken: async () => required('KILL_TEST_TOKEN'),
    botLogin: async () => required('KILL_TEST_BOT'),
  },
  log,
  agents: createAgentRunner({
    db: handle.db,
    log,
    model: { apiKey: 'sk-scripted', baseUrl: required('KILL_TEST_MODEL_URL') },
    timeoutMs: 170_000,
    maxTurns: 20,
    heartbeatIntervalMs: 0,
    engineRetries: 0,
    retry: { attempts: 1, baseDelayMs: 10 },
    agentHome: required('KILL_TEST_AGENT_HOME'),
  }),
};
const flow = new FlowServices(deps, { commandTimeoutMs: 30_000 });

const worker = new Worker(
  'task',
  async (job) => {
    if (job.name !== 'implement-task') throw new Error(`unexpected job ${job.name}`);
    process.stdout.write(`RUNNING ${job.id}\n`);
    return implementTask(flow, parseJobPayload('implement-task', job.data), job);
  },
  {
    connection: workerConnection(env.REDIS_URL),
    prefix: env.REDIS_PREFIX,
    lockDuration: 2_000,
    stalledInterval: 1_000,
  },
);
await worker.waitUntilReady();
process.stdout.write('READY\n');
