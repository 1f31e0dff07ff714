import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { webhookDeliveries } from '../db/schema.js';

export interface DeliveryFacts {
  deliveryId: string;
  event: string;
  action?: string;
  installationId?: number;
  repoFullName?: string;
  senderLogin?: string;
  senderType?: string;
}

export interface AdmitOptions {
  /**
   * Accept events other bots caused: a CI App reporting a check run or a
   * status is exactly what the merge queue waits for. The App's own events
   * are refused regardless.
   */
  acceptOtherBots?: boolean;
}

export type DeliveryVerdict =
  { accept: true } | { accept: false; reason: 'redelivery' | 'self' | 'bot' };

/**
 * The first thing every handler does. Records the delivery id (a redelivery of
 * the same id is recognised and changes nothing; job ids derived from the
 * delivery id make a retried half-done intake safe too) and refuses events the App
 * caused itself or another bot caused, so the bot never loops.
 */
export async function admitDelivery(
  db: Database,
  facts: DeliveryFacts,
  botLogin: string,
  options: AdmitOptions = {},
): Promise<DeliveryVerdict> {
  const self = facts.senderLogin !== undefined && facts.senderLogin === botLogin;
  const bot = !self && facts.senderType === 'Bot' && !options.acceptOtherBots;
  const ignoredBecause = self ? 'self' : bot ? 'bot' : undefined;
  const inserted = await db
    .insert(webhookDeliveries)
    .values({
      deliveryId: facts.deliveryId,
      event: facts.event,
      action: facts.action,
      installationId: facts.installationId,
      repoFullName: facts.repoFullName,
      status: ignoredBecause ? 'ignored' : 'received',
      reason: ignoredBecause ? `sent by ${facts.senderLogin ?? 'a bot'}` : null,
    })
    .onConflictDoNothing()
    .returning({ deliveryId: webhookDeliveries.deliveryId });
  if (inserted.length === 0 && (await finishedBefore(db, facts.deliveryId))) {
    return { accept: false, reason: 'redelivery' };
  }
  if (ignoredBecause) return { accept: false, reason: ignoredBecause };
  return { accept: true };
}

/**
 * A delivery whose intake failed half-way (Redis down, say) must be accepted
 * again when it is redelivered; one that was enqueued or ignored must not.
 */
async function finishedBefore(db: Database, deliveryId: string): Promise<boolean> {
  const [row] = await db
    .select({ status: webhookDeliveries.status })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.deliveryId, deliveryId));
  return row?.status === 'enqueued' || row?.status === 'ignored';
}

/** Notes what became of an accepted delivery, for the status page and for debugging. */
export async function markDelivery(
  db: Database,
  deliveryId: string,
  status: 'enqueued' | 'ignored' | 'failed',
  reason?: string,
): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ status, reason: reason ?? sql`${webhookDeliveries.reason}` })
    .where(eq(webhookDeliveries.deliveryId, deliveryId));
}
