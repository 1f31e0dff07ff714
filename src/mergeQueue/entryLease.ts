import type { MergeQueueEntry } from '../db/schema.js';
import { withLease, type LeaseOutcome } from '../leases/holdLease.js';
import type { StepContext } from './steps/context.js';

/**
 * A long step (a review, an update, a speculative build) holds its entry's
 * lease, so a second job for the same epic — another process, a webhook
 * arriving meanwhile — does not run it at the same time. The lease is short
 * and renewed while the step runs (leases/holdLease.ts): a crash frees it
 * within one lease length, not at the end of a long fixed one.
 */
export function underEntryLease<T>(
  ctx: Pick<StepContext, 'deps' | 'holder' | 'epic'> & { entry: MergeQueueEntry },
  step: string,
  work: () => Promise<T>,
): Promise<LeaseOutcome<T>> {
  return withLease(
    ctx.deps,
    {
      resource: entryResource(ctx.entry.id),
      step,
      holder: ctx.holder,
      ttlMs: ctx.deps.options.leaseMs,
      epicId: ctx.epic.id,
      taskId: ctx.entry.taskId,
    },
    work,
  );
}

export const entryResource = (entryId: number) => `merge-queue-entry:${entryId}`;
