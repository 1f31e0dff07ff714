import type { Context } from 'probot';
import type { FactoryDeps } from '../deps.js';
import {
  admitDelivery,
  markDelivery,
  type AdmitOptions,
  type DeliveryFacts,
} from './deliveryGuard.js';

type AnyContext = Context;

/** What a handler's `record` step did: enqueued work, or decided the event is not for Factory. */
export type IntakeOutcome = 'enqueued' | { ignored: string };

export function deliveryFacts(context: AnyContext): DeliveryFacts {
  const payload = context.payload as {
    action?: string;
    installation?: { id: number };
    repository?: { full_name: string };
    sender?: { login: string; type: string };
  };
  return {
    deliveryId: context.id,
    event: context.name,
    action: payload.action,
    installationId: payload.installation?.id,
    repoFullName: payload.repository?.full_name,
    senderLogin: payload.sender?.login,
    senderType: payload.sender?.type,
  };
}

/**
 * What every webhook handler is: admit (de-duplicate, ignore our own events),
 * then run `record` — which writes rows and enqueues jobs, nothing else — and
 * note the outcome. A failure propagates and fails the take-in job, which the
 * queue retries; the half-done intake is then accepted again.
 */
export async function intake(
  deps: FactoryDeps,
  context: AnyContext,
  record: () => Promise<IntakeOutcome>,
  options: AdmitOptions = {},
): Promise<void> {
  const facts = deliveryFacts(context);
  const log = deps.log.child({
    delivery: facts.deliveryId,
    event: `${facts.event}.${facts.action ?? ''}`,
  });
  const verdict = await admitDelivery(deps.db, facts, await deps.github.botLogin(), options);
  if (!verdict.accept) {
    log.debug({ reason: verdict.reason }, 'delivery not accepted');
    return;
  }
  try {
    const outcome = await record();
    if (outcome === 'enqueued') await markDelivery(deps.db, facts.deliveryId, 'enqueued');
    else await markDelivery(deps.db, facts.deliveryId, 'ignored', outcome.ignored);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error({ err: reason }, 'intake failed');
    await markDelivery(deps.db, facts.deliveryId, 'failed', reason).catch(() => undefined);
    throw error;
  }
}
