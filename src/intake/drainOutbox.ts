import type { Database } from '../db/connection.js';
import { oldestInOutbox, removeFromOutbox } from '../db/outbox.js';
import type { Logger } from '../logger.js';
import type { JobQueues } from '../queues/producer.js';
import { queueDelivery } from './queueDelivery.js';

export interface OutboxDrainReport {
  queued: number;
  /** Why draining stopped before the outbox was empty (Redis still down), if it did. */
  stoppedBecause?: string;
}

const batchSize = 100;

/**
 * Moves the deliveries the web process kept in the outbox onto the webhook
 * queue, oldest first, each removed only once the queue holds it. The job id
 * is the delivery id, so a delivery that reached the queue too (or a second
 * worker draining at the same moment) is still taken in once; the intake's
 * delivery record refuses a repeat besides. Stops at the first delivery Redis
 * refuses, keeping it and everything after it for the next try, so the order
 * holds.
 */
export async function drainOutbox(deps: {
  db: Database;
  queues: JobQueues;
  log: Logger;
}): Promise<OutboxDrainReport> {
  let queued = 0;
  for (;;) {
    const batch = await oldestInOutbox(deps.db, batchSize);
    if (batch.length === 0) break;
    for (const row of batch) {
      try {
        await queueDelivery(deps.queues, {
          deliveryId: row.deliveryId,
          event: row.event,
          body: row.body,
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (queued > 0) deps.log.info({ queued }, 'outbox partly moved to the webhook queue');
        return { queued, stoppedBecause: reason };
      }
      await removeFromOutbox(deps.db, [row.id]);
      queued += 1;
    }
  }
  if (queued > 0) deps.log.info({ queued }, 'outbox moved to the webhook queue');
  return { queued };
}
