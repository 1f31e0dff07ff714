import type { Logger } from 'pino';
import type { Database } from '../db/connection.js';
import { recordDecision } from '../db/decisions.js';
import { claimLease, releaseLease, renewLease, type LeaseRequest } from '../db/leases.js';
import { renewEveryMs } from '../domain/lease.js';

/**
 * Runs `work` under a lease: taken (or taken over from a dead holder, which
 * is recorded as a decision), renewed while `work` runs, released after it,
 * whatever the outcome. A killed process renews nothing, so its lease lapses
 * within `ttlMs` on its own.
 */

export type LeaseOutcome<T> =
  { held: true; value: T } | { held: false; retryInMs: number; reason: string };

export async function withLease<T>(
  deps: { db: Database; log: Logger },
  request: LeaseRequest,
  work: () => Promise<T>,
): Promise<LeaseOutcome<T>> {
  const claim = await claimLease(deps.db, request);
  if (!claim.held) {
    return { held: false, retryInMs: claim.decision.retryInMs, reason: claim.decision.reason };
  }
  const { token } = claim;
  if (claim.tookOver) await recordTakeOver(deps, request, claim.tookOver);
  const renewal = setInterval(() => {
    renewLease(deps.db, request.resource, token, request.ttlMs)
      .then((still) => {
        if (!still) {
          deps.log.warn(
            { resource: request.resource, step: request.step },
            'lease lost while its step ran: it lapsed and was taken over',
          );
        }
      })
      .catch((error: unknown) =>
        deps.log.warn(
          { resource: request.resource, err: error instanceof Error ? error.message : error },
          'lease renewal failed; retried at the next interval',
        ),
      );
  }, renewEveryMs(request.ttlMs));
  renewal.unref();
  try {
    return { held: true, value: await work() };
  } finally {
    clearInterval(renewal);
    await releaseLease(deps.db, request.resource, token);
  }
}

async function recordTakeOver(
  deps: { db: Database; log: Logger },
  request: LeaseRequest,
  tookOver: {
    from: { step: string; holder: { job: string | null; process: string } };
    reason: string;
  },
) {
  deps.log.warn(
    { resource: request.resource, step: request.step, reason: tookOver.reason },
    'lease taken over from a dead holder',
  );
  await recordDecision(deps.db, {
    epicId: request.epicId ?? null,
    taskId: request.taskId ?? null,
    decision: `lease-taken-over: ${request.resource}`,
    reasoning: tookOver.reason,
    context: {
      resource: request.resource,
      step: request.step,
      previousStep: tookOver.from.step,
      previousHolder: tookOver.from.holder,
      holder: request.holder,
    },
  });
}
