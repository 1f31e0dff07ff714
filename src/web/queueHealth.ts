import type { Queue } from 'bullmq';
import { queueNames } from '../queues/jobs.js';
import type { JobQueues } from '../queues/producer.js';

/**
 * Job counts of each BullMQ queue, for the overview. Reading them must never
 * hold the page up: a slow or absent Redis shows as "unavailable" with why.
 */
export interface QueueCounts {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export type QueueHealth =
  { available: true; queues: QueueCounts[] } | { available: false; reason: string };

export type QueueHealthReader = () => Promise<QueueHealth>;

/** Counts from real BullMQ queues (the producer side is enough: it only reads). */
export function bullmqQueueHealth(queues: readonly Queue[], timeoutMs = 1_500): QueueHealthReader {
  return async () => {
    try {
      const counts = await withTimeout(Promise.all(queues.map(countJobs)), timeoutMs);
      return { available: true, queues: counts };
    } catch (error) {
      return { available: false, reason: describe(error) };
    }
  };
}

/** Every Factory queue, read through the producer connections a process already has. */
export function jobQueuesHealth(queues: JobQueues): QueueHealthReader {
  return bullmqQueueHealth(queueNames.map((name) => queues.queue(name)));
}

async function countJobs(queue: Queue): Promise<QueueCounts> {
  const c = await queue.getJobCounts(
    'waiting',
    'prioritized',
    'waiting-children',
    'active',
    'delayed',
    'failed',
  );
  const n = (key: string) => c[key] ?? 0;
  return {
    name: queue.name,
    // Prioritized jobs and parents of flows are waiting too, just in another Redis structure.
    waiting: n('waiting') + n('prioritized') + n('waiting-children'),
    active: n('active'),
    delayed: n('delayed'),
    failed: n('failed'),
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Never echo a Redis URL (it may carry a password).
  return message.replace(/rediss?:\/\/\S+/g, 'Redis');
}

export const noQueueHealth: QueueHealthReader = async () => ({
  available: false,
  reason: 'queue health is not connected in this process',
});
