/**
 * A worker process the crash-recovery test kills: it consumes the task queue
 * with the fake processor, says STARTED once an agent is at work, and hangs.
 * BullMQ keeps the job's lock alive only while this process lives.
 */
import { Worker } from 'bullmq';
import { parseEnv } from '../../../../../src/config/env.js';
import { defaultRepoConfig } from '../../../../../src/config/repoConfig.js';
import { openDatabase } from '../../../../../src/db/connection.js';
import { workerConnection } from '../../../../../src/queues/connection.js';
import { fakeImplementTask } from './fakeTaskWorker.js';

const env = parseEnv(process.env);
const handle = await openDatabase({ databaseUrl: env.DATABASE_URL });
const deps = { db: handle.db, env, repoConfigs: async () => defaultRepoConfig };

new Worker(
  'task',
  (job) =>
    fakeImplementTask(deps, job, {
      hang: () => {
        process.stdout.write(`STARTED ${job.id}\n`);
        return new Promise<never>(() => undefined);
      },
    }),
  {
    connection: workerConnection(env.REDIS_URL),
    prefix: env.REDIS_PREFIX,
    lockDuration: 2_000,
    stalledInterval: 1_000,
  },
);
