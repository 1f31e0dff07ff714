import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { workerConnection } from './connection.js';
import {
  isJobName,
  parseJobPayload,
  queueNames,
  type JobName,
  type JobPayload,
  type QueueName,
} from './jobs.js';

/** What runs a job of one kind. Receives the validated payload, the BullMQ job and its token. */
export type JobProcessor<N extends JobName> = (
  payload: JobPayload<N>,
  job: Job,
  /** The job's lock token, for moving it (e.g. back to delayed on an infrastructure error). */
  token?: string,
) => Promise<unknown>;
export type JobProcessors = { [N in JobName]?: JobProcessor<N> };

export interface QueueWorkersOptions {
  redisUrl: string;
  prefix: string;
  processors: JobProcessors;
  log: Logger;
  /** Jobs of one queue run at once in this process. */
  concurrency?: Partial<Record<QueueName, number>>;
  /** Only these queues are consumed (all with a processor by default). */
  queues?: readonly QueueName[];
  /**
   * How long a job's lock outlives its process (BullMQ renews it at half this
   * while the process runs), which is also how often stalled jobs are looked
   * for: the job of a killed process runs again within about twice this.
   * BullMQ's 30 s by default; see jobLockMs.
   */
  lockMs?: number;
}

/**
 * The job lock for a heartbeat timeout: short enough that a job of a killed
 * process is found stalled well within it, never longer than BullMQ's 30 s.
 */
export function jobLockMs(heartbeatTimeoutSeconds: number): number {
  return Math.max(2_000, Math.min(30_000, (heartbeatTimeoutSeconds * 1000) / 2));
}

export interface QueueWorkers {
  workers: Worker[];
  /** Waits for running jobs to finish (graceful), then disconnects. */
  close(): Promise<void>;
}

export function startQueueWorkers(options: QueueWorkersOptions): QueueWorkers {
  const { processors, log } = options;
  const wanted = options.queues ?? queueNames;
  // BullMQ leaves a connection it was handed open on close; these are ours to close.
  const connections: Redis[] = [];
  const workers = wanted.map((queueName) => {
    const connection = workerConnection(options.redisUrl);
    connections.push(connection);
    const worker = new Worker(
      queueName,
      async (job, token) => {
        if (!isJobName(job.name))
          throw new Error(`No job kind named ${job.name} on queue ${queueName}`);
        const processor = processors[job.name] as JobProcessor<typeof job.name> | undefined;
        if (!processor) throw new Error(`No processor for ${job.name} in this process`);
        const payload = parseJobPayload(job.name, job.data);
        return processor(payload, job, token);
      },
      {
        connection,
        prefix: options.prefix,
        concurrency: options.concurrency?.[queueName] ?? 1,
        autorun: true,
        ...(options.lockMs !== undefined
          ? { lockDuration: options.lockMs, stalledInterval: options.lockMs }
          : {}),
        // A job whose process was killed runs again each time; only a job that
        // stalls this often (a crash loop of its own) ends failed.
        maxStalledCount: 5,
      },
    );
    worker.on('failed', (job, error) =>
      log.warn(
        {
          queue: queueName,
          job: job?.name,
          jobId: job?.id,
          attempt: job?.attemptsMade,
          err: error.message,
        },
        'job failed',
      ),
    );
    worker.on('error', (error) =>
      log.error({ queue: queueName, err: error.message }, 'queue worker error'),
    );
    return worker;
  });
  return {
    workers,
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all(
        connections.map((connection) => connection.quit().catch(() => connection.disconnect())),
      );
    },
  };
}

export function onShutdownSignal(handler: () => Promise<void>, log: Logger) {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: waiting for running jobs');
    handler()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
