import type { Job } from 'bullmq';
import type { Database } from '../db/connection.js';
import { recordDecision } from '../db/decisions.js';

/**
 * A job BullMQ picked up again because the process running it died (it
 * stalled): said as a recovery before it runs again, so the interrupted work
 * shows as recovering until it moves on. Nothing is said for a first run.
 */
export async function noteResumedJob(
  db: Database,
  job: Pick<Job, 'id' | 'name' | 'stalledCounter'>,
  subject: { epicId: number; what: string },
): Promise<void> {
  if (!(job.stalledCounter > 0)) return;
  await recordDecision(db, {
    epicId: subject.epicId,
    decision: 'recovered: job resumed',
    reasoning: `${subject.what} (job ${job.name} ${job.id ?? ''}) was interrupted: the process running it died; it runs again, finishing only what is left`,
    context: { job: job.id, name: job.name, stalled: job.stalledCounter },
  });
}
