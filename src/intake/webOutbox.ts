import type { Database } from '../db/connection.js';
import { keepInOutbox } from '../db/outbox.js';
import type { Logger } from '../logger.js';
import { QueueUnavailableError } from '../queues/connection.js';
import type { JobPayload } from '../queues/jobs.js';
import type { JobQueues } from '../queues/producer.js';
import { queueDelivery } from './queueDelivery.js';

export interface WebIntakeDeps {
  queues: JobQueues;
  db: Database;
  log: Logger;
}

/**
 * A delivery neither Redis nor the database would hold. Its `status` is what
 * the webhook middleware answers GitHub: 503, "try again", not a 500 bug.
 */
export class IntakeUnavailableError extends Error {
  override name = 'IntakeUnavailableError';
  readonly status = 503;
}

/** The outbox write must finish well inside the webhook middleware's 9 s, after which it answers 202 regardless. */
const outboxWriteTimeoutMs = 4_000;

/**
 * Makes a delivery durable before GitHub hears 2xx: on the webhook queue, or,
 * when Redis cannot take it, in the outbox a worker later moves to the queue.
 * When both fail it throws IntakeUnavailableError (503) after one log line
 * saying why.
 */
export async function takeDelivery(
  deps: WebIntakeDeps,
  delivery: JobPayload<'receive-webhook'>,
): Promise<'queued' | 'outbox'> {
  try {
    await queueDelivery(deps.queues, delivery);
    return 'queued';
  } catch (queueError) {
    if (!(queueError instanceof QueueUnavailableError)) throw queueError;
    try {
      await withTimeout(keepInOutbox(deps.db, delivery), outboxWriteTimeoutMs);
    } catch (outboxError) {
      const reason = `queue: ${firstLine(queueError)}; outbox: ${firstLine(outboxError)}`;
      deps.log.error(
        { deliveryId: delivery.deliveryId, event: delivery.event, reason },
        'webhook delivery refused with 503: neither Redis nor the database could hold it (GitHub shows it as failed; redeliver it once they are back)',
      );
      throw new IntakeUnavailableError(
        `Delivery ${delivery.deliveryId} could not be kept: ${reason}`,
        { cause: outboxError },
      );
    }
    deps.log.warn(
      { deliveryId: delivery.deliveryId, event: delivery.event, reason: firstLine(queueError) },
      'webhook delivery kept in the outbox: Redis could not take it; a worker queues it when Redis is back',
    );
    return 'outbox';
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
