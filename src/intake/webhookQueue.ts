import type { EmitterWebhookEventName } from '@octokit/webhooks';
import type { Probot } from 'probot';
import type { JobPayload } from '../queues/jobs.js';
import { takeDelivery, type WebIntakeDeps } from './webOutbox.js';
import type { JobProcessors } from '../queues/workers.js';

/**
 * Webhooks are taken in two steps, as merge bots such as Kodiak do. The web
 * process only lets Probot verify the signature, puts the delivery on the
 * webhook queue under its delivery id and answers; a worker then runs the
 * intake handlers of app.ts on it (guard, record, enqueue). GitHub's answer
 * never waits on the database, and a delivery whose intake fails — database
 * down, say — is retried by the queue instead of being lost: GitHub itself
 * never redelivers on its own. When Redis cannot take the delivery, it is
 * kept in the database's outbox instead (webOutbox.ts): GitHub hears 2xx
 * only once one of the two holds it.
 */
export function createWebhookQueueApp(deps: WebIntakeDeps) {
  return (app: Probot) => {
    // Every event: app.yml subscribes only to what Factory handles.
    app.onAny(async (context) => {
      await takeDelivery(deps, {
        deliveryId: context.id,
        event: context.name,
        body: context.payload as unknown as Record<string, unknown>,
      });
    });
  };
}

/**
 * The worker's step: `dispatcher` is a Probot instance with the intake
 * handlers loaded, receiving the delivery as if it came over HTTP (its
 * signature was checked by the web process).
 */
export function receiveWebhookProcessors(dispatcher: Probot): JobProcessors {
  return {
    'receive-webhook': (payload) => takeIn(dispatcher, payload),
  };
}

async function takeIn(dispatcher: Probot, delivery: JobPayload<'receive-webhook'>) {
  try {
    await dispatcher.receive({
      id: delivery.deliveryId,
      name: delivery.event as EmitterWebhookEventName,
      payload: delivery.body,
    } as Parameters<Probot['receive']>[0]);
  } catch (error) {
    // Probot gathers handler failures into an AggregateError whose own message says nothing.
    const causes = error instanceof AggregateError ? error.errors : [error];
    const reasons = causes.map((cause) => (cause instanceof Error ? cause.message : String(cause)));
    throw new Error(
      `Taking in ${delivery.event} delivery ${delivery.deliveryId} failed: ${reasons.join('; ')}`,
      {
        cause: error,
      },
    );
  }
}
