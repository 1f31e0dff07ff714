import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { infrastructureReason } from '../domain/infrastructureError.js';

/**
 * Runs a job's work; when it fails because PostgreSQL or Redis is away, the
 * job is put back to run again later (exponential backoff, capped at a minute)
 * without using up one of its tries: BullMQ's attempts are for the work's own
 * failures, and an outage must not turn into a task attempt or a failed job.
 * Each retry is logged with the reason and how many came before it. Without
 * the job's lock token (an in-process call) the error is thrown as it is.
 */
export async function retryingInfrastructure<T>(
  job: Pick<Job, 'id' | 'name' | 'attemptsMade' | 'attemptsStarted' | 'moveToDelayed'>,
  token: string | undefined,
  log: Logger,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const reason = infrastructureReason(error);
    if (!reason || !token) throw error;
    // Every start that did not end in a counted try was a delay like this one (or a stall).
    const delaysSoFar = Math.max(0, job.attemptsStarted - job.attemptsMade - 1);
    const delayMs = infrastructureDelayMs(delaysSoFar);
    log.warn(
      { job: job.name, jobId: job.id, err: reason, infrastructure: true, delaysSoFar, delayMs },
      'job stopped by an infrastructure error; it runs again later without using a try',
    );
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError(`infrastructure error, retrying in ${delayMs} ms: ${reason}`);
  }
}

/** 2 s, 4 s, 8 s … up to a minute. */
export function infrastructureDelayMs(delaysSoFar: number): number {
  return Math.min(60_000, 2_000 * 2 ** Math.min(delaysSoFar, 10));
}
