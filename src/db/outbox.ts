import { asc, inArray } from 'drizzle-orm';
import type { Database } from './connection.js';
import { webhookOutbox, type OutboxDelivery } from './schema.js';

export interface DeliveryToKeep {
  deliveryId: string;
  event: string;
  body: Record<string, unknown>;
}

/** Keeps a delivery the queue could not take; a second copy of one delivery id is kept once. */
export async function keepInOutbox(db: Database, delivery: DeliveryToKeep): Promise<void> {
  await db.insert(webhookOutbox).values(delivery).onConflictDoNothing();
}

/** The oldest kept deliveries first: they are queued in the order GitHub sent them. */
export async function oldestInOutbox(db: Database, limit: number): Promise<OutboxDelivery[]> {
  return db.select().from(webhookOutbox).orderBy(asc(webhookOutbox.id)).limit(limit);
}

export async function removeFromOutbox(db: Database, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(webhookOutbox).where(inArray(webhookOutbox.id, [...ids]));
}
