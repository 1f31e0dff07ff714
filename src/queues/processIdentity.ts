import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import type { LeaseHolder } from '../domain/lease.js';

/**
 * This process, as a lease names its holder: host, pid and a boot id (a pid
 * is reused by the next process of a restarted container).
 */
export const processIdentity = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/** The holder of a lease taken inside a BullMQ job (or outside any job, by this process). */
export function leaseHolderOf(job?: Pick<Job, 'queueName' | 'id'>): LeaseHolder {
  return {
    job: job?.id === undefined ? null : `${job.queueName}:${job.id}`,
    process: processIdentity,
  };
}
