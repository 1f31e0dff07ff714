import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueUnavailableError, producerConnection } from './connection.js';
import {
  jobDefinitions,
  parseJobPayload,
  queueNames,
  queueOf,
  type JobName,
  type JobPayload,
  type QueueName,
} from './jobs.js';

export interface EnqueueOptions {
  /** Required: the idempotency key (see `jobIds`). */
  jobId: string;
  delayMs?: number;
  /** Lower runs first (BullMQ priority); used for fairness across epics. */
  priority?: number;
  /** Tries before the job is failed (default 3, see `defaultJobOptions`). */
  attempts?: number;
  /**
   * Forget a job that failed for good instead of keeping it for a week, so a
   * later add with the same id (a redelivery) runs it again.
   */
  forgetWhenFailed?: boolean;
}

/** Retention keeps recent ids around so a duplicate add is recognised, without growing forever. */
export const defaultJobOptions: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 5_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The producer side of every queue. Validates payloads before anything reaches Redis. */
export class JobQueues {
  private readonly queues: Map<QueueName, Queue>;

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
    private readonly redisUrlForMessages = 'Redis',
  ) {
    this.queues = new Map(
      queueNames.map((name) => {
        const queue = new Queue(name, { connection, prefix, defaultJobOptions });
        // Connection errors surface where they matter (enqueue, health check); unheard, BullMQ prints each one.
        queue.on('error', () => undefined);
        return [name, queue];
      }),
    );
  }

  static connect(redisUrl: string, prefix: string): JobQueues {
    return new JobQueues(producerConnection(redisUrl), prefix, redactUrl(redisUrl));
  }

  queue(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`Unknown queue ${name}`);
    return queue;
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions) {
    const data = parseJobPayload(name, payload);
    await this.reachable();
    try {
      return await this.queue(queueOf(name)).add(name, data, {
        jobId: options.jobId,
        delay: options.delayMs,
        priority: options.priority,
        ...(options.attempts ? { attempts: options.attempts } : {}),
        ...(options.forgetWhenFailed ? { removeOnFail: true } : {}),
      });
    } catch (error) {
      throw new QueueUnavailableError(
        `Could not enqueue ${name} (job ${options.jobId}) — ${redisProblem(error, this.redisUrlForMessages)}`,
        { cause: error },
      );
    }
  }

  /**
   * Removes waiting-for-later jobs of one kind that belong to one epic (a
   * finished epic's merge-queue wake-ups would otherwise linger, and show on
   * the status page, until their delay ran out and they found nothing to do).
   */
  async removeDelayedOfEpic(name: JobName, epicId: number): Promise<number> {
    const delayed = await this.queue(queueOf(name)).getDelayed();
    const mine = delayed.filter(
      (job) => job.name === name && (job.data as { epicId?: unknown }).epicId === epicId,
    );
    // A job that became due meanwhile is locked by a worker and cannot be removed: it finds nothing to do.
    const removed = await Promise.all(
      mine.map((job) =>
        job.remove().then(
          () => 1,
          () => 0,
        ),
      ),
    );
    return removed.reduce<number>((sum, n) => sum + n, 0);
  }

  /**
   * Fails at once when Redis is known to be down, and within a second when the
   * first connection is still being made and does not succeed — BullMQ itself
   * would wait for Redis forever, and a webhook must be answered.
   */
  private async reachable(): Promise<void> {
    const status = this.connection.status;
    if (status === 'ready') return;
    if (status === 'connecting' || status === 'connect') {
      try {
        await readyWithin(this.connection, connectWaitMs);
        return;
      } catch (error) {
        throw new QueueUnavailableError(
          `${this.redisUrlForMessages} is not reachable (${error instanceof Error ? error.message : String(error)}); start Redis or set REDIS_URL`,
          { cause: error },
        );
      }
    }
    throw new QueueUnavailableError(
      `${this.redisUrlForMessages} is not reachable (connection ${status}); start Redis or set REDIS_URL`,
    );
  }

  /** Round trip to Redis, for the health check; fails at once when Redis is down. */
  async ping(): Promise<void> {
    await this.reachable();
    await this.connection.ping();
  }

  /**
   * Calls `listener` each time the connection to Redis becomes ready — the
   * first time and after every reconnect: a Redis that restarted may have
   * lost its data. Returns what stops listening.
   */
  onReady(listener: () => void): () => void {
    this.connection.on('ready', listener);
    return () => this.connection.off('ready', listener);
  }

  /** Publishes on a Redis channel under this Factory's prefix (e.g. an agent cancel). */
  async publish(channel: string, message: string): Promise<void> {
    await this.reachable();
    await this.connection.publish(channel, message);
  }

  async close() {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}

const connectWaitMs = 800;

/** Resolves when a connecting client is ready; rejects on its first error or after `ms`. */
function readyWithin(connection: Redis, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      connection.off('ready', onReady);
      connection.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => done(new Error(`not ready within ${ms} ms`)), ms);
    connection.once('ready', onReady);
    connection.once('error', done);
  });
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return `Redis at ${parsed.host}`;
  } catch {
    return 'Redis';
  }
}

function redisProblem(error: unknown, where: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return /Stream isn't writeable|ECONNREFUSED|Connection is closed|enableOfflineQueue/.test(message)
    ? `${where} is not reachable; start Redis or set REDIS_URL`
    : message;
}

export { jobDefinitions };
