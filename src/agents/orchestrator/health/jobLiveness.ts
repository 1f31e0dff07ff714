import type { Job } from 'bullmq';
import type { AgentKind } from '../../../db/schema.js';
import type { QueueName } from '../../../queues/jobs.js';
import type { JobQueues } from '../../../queues/producer.js';
import type { JobLiveness } from './diagnoseAgent.js';

/** Where the jobs of each kind of agent run. */
const queuesOf: Record<AgentKind, readonly QueueName[]> = {
  worker: ['task', 'mail'],
  supervisor: ['epic', 'merge-queue', 'mail'],
  orchestrator: ['orchestrator'],
};

export interface JobLook {
  liveness: JobLiveness;
  job?: Job;
  failure?: string;
}

/**
 * Reads an agent's job from the queue. An active job whose lock is gone is
 * stalled: BullMQ keeps the lock alive for as long as the worker process runs,
 * so a missing lock means that process died — found here at once, without
 * waiting for BullMQ's own stalled-job sweep.
 */
export async function lookUpJob(
  queues: JobQueues,
  kind: AgentKind,
  jobId: string | null,
): Promise<JobLook> {
  if (jobId === null) return { liveness: 'none' };
  for (const queueName of queuesOf[kind]) {
    const look = await lookUpJobIn(queues, queueName, jobId);
    if (look.liveness !== 'missing') return look;
  }
  return { liveness: 'missing' };
}

/** The same look in one queue (a lease names the queue of the job holding it). */
export async function lookUpJobIn(
  queues: JobQueues,
  queueName: QueueName,
  jobId: string,
): Promise<JobLook> {
  const queue = queues.queue(queueName);
  const job = await queue.getJob(jobId);
  if (!job) return { liveness: 'missing' };
  const state = await job.getState();
  switch (state) {
    case 'active': {
      const client = await queue.getBackend().client;
      const locked = (await client.get(`${queue.toKey(jobId)}:lock`)) !== null;
      return { liveness: locked ? 'running' : 'stalled', job };
    }
    case 'failed':
      return { liveness: 'failed', job, failure: job.failedReason };
    case 'completed':
      return { liveness: 'finished', job };
    case 'unknown':
      return { liveness: 'missing' };
    default:
      return { liveness: 'pending', job };
  }
}

/** The attempt number carried by an `implement-task` job, when it is one. */
export function attemptOf(job: Job | undefined): number | undefined {
  const data: unknown = job?.data;
  if (typeof data !== 'object' || data === null || !('attempt' in data)) return undefined;
  return typeof data.attempt === 'number' ? data.attempt : undefined;
}
