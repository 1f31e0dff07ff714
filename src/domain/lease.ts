/**
 * A lease says "this resource is mine until T" (a merge-queue entry under a
 * review or an update). It is short and renewed while its holder runs, so a
 * holder that died lets go on its own within one lease length. These are the
 * decisions about it, pure: may a claimant take it, and may the health pass
 * release it.
 */

/** Who holds a lease: the BullMQ job running the step, in which process. */
export interface LeaseHolder {
  /** `queue:jobId` of the job that runs the step; null outside a job (a script, a test). */
  job: string | null;
  /** `host:pid:boot` of the process (see queues/processIdentity.ts). */
  process: string;
}

export interface HeldLease {
  /** What the holder is doing, e.g. `review-<sha>`. */
  step: string;
  holder: LeaseHolder;
  until: Date;
}

export type LeaseClaimDecision =
  | { kind: 'take' }
  | { kind: 'take-over'; reason: string }
  | { kind: 'busy'; retryInMs: number; reason: string };

/** A claimant that finds the lease busy looks again this long after it would lapse. */
export const leaseRetryMarginMs = 1_000;

/**
 * May `claimant` take the lease now? A free lease is taken; one that lapsed
 * (its holder stopped renewing it) or that its own job holds from another
 * process (BullMQ runs a job in one place at a time, so the earlier run is
 * dead) is taken over; otherwise the claimant looks again once it could lapse.
 */
export function decideLeaseClaim(
  current: HeldLease | null,
  claimant: LeaseHolder,
  now: Date,
): LeaseClaimDecision {
  if (!current) return { kind: 'take' };
  const held = `${current.step} held by ${describeHolder(current.holder)}`;
  if (current.until.getTime() <= now.getTime()) {
    return {
      kind: 'take-over',
      reason: `${held} lapsed at ${current.until.toISOString()}: its holder stopped renewing it`,
    };
  }
  if (
    claimant.job !== null &&
    current.holder.job === claimant.job &&
    current.holder.process !== claimant.process
  ) {
    return {
      kind: 'take-over',
      reason: `${held}: the same job runs again in ${claimant.process}, so the run that held it died`,
    };
  }
  return {
    kind: 'busy',
    retryInMs: current.until.getTime() - now.getTime() + leaseRetryMarginMs,
    reason: `${held} until ${current.until.toISOString()}`,
  };
}

/** What the queue says about the job holding a lease (see orchestrator/health/jobLiveness.ts). */
export type HolderJobLiveness =
  'running' | 'pending' | 'stalled' | 'failed' | 'finished' | 'missing' | 'none';

export type LeaseReleaseDecision = { kind: 'keep' } | { kind: 'release'; reason: string };

/**
 * The health pass: does a lease outlive its holder? Released when it lapsed,
 * or when the job holding it no longer runs (its process died and BullMQ's
 * lock on it expired, or it ended without letting go) — without waiting for
 * the lapse.
 */
export function decideLeaseRelease(
  lease: HeldLease,
  holderJob: HolderJobLiveness,
  now: Date,
): LeaseReleaseDecision {
  const held = `${lease.step} held by ${describeHolder(lease.holder)}`;
  if (lease.until.getTime() <= now.getTime()) {
    return { kind: 'release', reason: `${held} lapsed at ${lease.until.toISOString()}` };
  }
  switch (holderJob) {
    case 'running':
    case 'none':
      return { kind: 'keep' };
    case 'stalled':
      return {
        kind: 'release',
        reason: `${held}: its job stalled, the process running it is gone`,
      };
    case 'pending':
      return { kind: 'release', reason: `${held}: its job waits to run again, nothing runs it` };
    case 'failed':
    case 'finished':
      return { kind: 'release', reason: `${held}: its job ended without letting go` };
    case 'missing':
      return { kind: 'release', reason: `${held}: its job no longer exists` };
  }
}

/** When a lease taken or renewed now lapses. */
export function leaseUntil(now: Date, ttlMs: number): Date {
  return new Date(now.getTime() + ttlMs);
}

/** How often a holder renews: three times per lease length, so one late renewal does not lose it. */
export function renewEveryMs(ttlMs: number): number {
  return Math.max(100, Math.floor(ttlMs / 3));
}

function describeHolder(holder: LeaseHolder): string {
  return holder.job ? `job ${holder.job} (${holder.process})` : holder.process;
}
