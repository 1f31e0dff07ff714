import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import {
  decideLeaseClaim,
  leaseUntil,
  type HeldLease,
  type LeaseClaimDecision,
  type LeaseHolder,
} from '../domain/lease.js';
import type { Database } from './connection.js';
import { leases, type Lease } from './schema.js';

/** The lease records: claimed by the rule of domain/lease.ts, renewed, released — each guarded on its token. */

export interface LeaseRequest {
  resource: string;
  step: string;
  holder: LeaseHolder;
  ttlMs: number;
  epicId?: number | null;
  taskId?: number | null;
}

export type LeaseClaim =
  | { held: true; token: string; tookOver?: { from: HeldLease; reason: string } }
  | { held: false; decision: Extract<LeaseClaimDecision, { kind: 'busy' }> };

export function heldLease(row: Lease): HeldLease {
  return {
    step: row.step,
    holder: { job: row.holderJob, process: row.holderProcess },
    until: row.until,
  };
}

/**
 * Takes the lease when it is free, or over from a holder that lapsed or died.
 * Compare-and-set on the row as read: of two claimants at once, one wins and
 * the other is told it is busy.
 */
export async function claimLease(db: Database, request: LeaseRequest): Promise<LeaseClaim> {
  const now = new Date();
  const [current] = await db.select().from(leases).where(eq(leases.resource, request.resource));
  const decision = decideLeaseClaim(current ? heldLease(current) : null, request.holder, now);
  const busy = (reason: string) => ({
    held: false as const,
    decision: { kind: 'busy' as const, retryInMs: 1_000, reason },
  });
  if (decision.kind === 'busy') return { held: false, decision };
  const token = randomUUID();
  const values = {
    resource: request.resource,
    step: request.step,
    holderJob: request.holder.job,
    holderProcess: request.holder.process,
    token,
    epicId: request.epicId ?? null,
    taskId: request.taskId ?? null,
    takenAt: now,
    until: leaseUntil(now, request.ttlMs),
  };
  if (decision.kind === 'take' || !current) {
    const rows = await db
      .insert(leases)
      .values(values)
      .onConflictDoNothing()
      .returning({ token: leases.token });
    return rows.length > 0 ? { held: true, token } : busy('another claimant took it first');
  }
  const rows = await db
    .update(leases)
    .set(values)
    .where(and(eq(leases.resource, request.resource), eq(leases.token, current.token)))
    .returning({ token: leases.token });
  if (rows.length === 0) return busy('another claimant took it over first');
  return { held: true, token, tookOver: { from: heldLease(current), reason: decision.reason } };
}

/** False when the lease is no longer this holder's (it lapsed and was taken over). */
export async function renewLease(
  db: Database,
  resource: string,
  token: string,
  ttlMs: number,
): Promise<boolean> {
  const rows = await db
    .update(leases)
    .set({ until: leaseUntil(new Date(), ttlMs) })
    .where(and(eq(leases.resource, resource), eq(leases.token, token)))
    .returning({ token: leases.token });
  return rows.length > 0;
}

/** Lets go; a no-op when the lease was taken over meanwhile. True when this call released it. */
export async function releaseLease(
  db: Database,
  resource: string,
  token: string,
): Promise<boolean> {
  const rows = await db
    .delete(leases)
    .where(and(eq(leases.resource, resource), eq(leases.token, token)))
    .returning({ token: leases.token });
  return rows.length > 0;
}

export async function listLeases(db: Database): Promise<Lease[]> {
  return db.select().from(leases).orderBy(asc(leases.until));
}

export async function findLease(db: Database, resource: string): Promise<Lease | undefined> {
  const [row] = await db.select().from(leases).where(eq(leases.resource, resource));
  return row;
}
