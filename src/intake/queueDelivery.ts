import { jobIds, type JobPayload } from '../queues/jobs.js';
import type { JobQueues } from '../queues/producer.js';

/**
 * Puts a delivery on the webhook queue under its delivery id. Used by the web
 * process and by the worker that moves the outbox to the queue, so a delivery
 * both queued and kept in the outbox is still one job.
 */
export async function queueDelivery(queues: JobQueues, delivery: JobPayload<'receive-webhook'>) {
  await queues.enqueue('receive-webhook', delivery, {
    // A redelivery while the first is queued or recently done adds nothing.
    jobId: jobIds.fromDelivery('receive-webhook', delivery.deliveryId),
    attempts: takeInAttempts,
    // A delivery that failed for good is forgotten by the queue (its
    // webhook_deliveries row keeps the reason), so a manual redelivery
    // from GitHub's settings page is taken in again.
    forgetWhenFailed: true,
  });
}

/** With BullMQ's exponential back-off from 2 s, the last try comes about 17 minutes after the first. */
const takeInAttempts = 10;
