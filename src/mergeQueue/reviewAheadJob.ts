import { and, eq } from 'drizzle-orm';
import { epics, mergeQueueEntries, tasks } from '../db/schema.js';
import { finishedEpicStates } from '../domain/epicStateMachine.js';
import type { JobPayload } from '../queues/jobs.js';
import { readQueued, type AdvanceDeps } from './advance.js';
import type { LeaseHolder } from '../domain/lease.js';
import { leaseHolderOf } from '../queues/processIdentity.js';
import { underEntryLease } from './entryLease.js';
import { reviewAheadStep } from './reviewAhead.js';
import { reviewHead } from './steps/review.js';

/**
 * The `review-ahead` job: the supervisor reviews a PR waiting behind the head,
 * exactly as it reviews the head (steps/review.ts), under the same lease key,
 * so the PR is never reviewed twice at once. When the PR reaches the head, its
 * review still counts if the app's update kept the patch (see reviews.ts).
 */
export async function reviewPrAhead(
  deps: AdvanceDeps,
  payload: JobPayload<'review-ahead'>,
  holder: LeaseHolder = leaseHolderOf(),
): Promise<{ step: 'review' | 'skip' | 'busy'; reason?: string }> {
  const [row] = await deps.db
    .select({ epic: epics, entry: mergeQueueEntries, task: tasks })
    .from(mergeQueueEntries)
    .innerJoin(tasks, eq(tasks.id, mergeQueueEntries.taskId))
    .innerJoin(epics, eq(epics.id, mergeQueueEntries.epicId))
    .where(and(eq(mergeQueueEntries.id, payload.entryId), eq(mergeQueueEntries.state, 'queued')));
  if (!row || finishedEpicStates.includes(row.epic.state)) {
    return { step: 'skip', reason: 'the PR left the queue' };
  }
  const ctx = await readQueued(
    deps,
    payload,
    row.epic,
    { entry: row.entry, task: row.task },
    holder,
  );
  const step = reviewAheadStep(ctx.read.facts);
  if (step.kind === 'skip') return { step: 'skip', reason: step.reason };
  const key = `review-${step.sha}`;
  // The head's own review of this commit (or another job) holds it: that review will do.
  const outcome = await underEntryLease(ctx, key, () =>
    reviewHead(ctx, {
      kind: 'review',
      sha: step.sha,
      reason: `reviewed ahead of its turn, at ${step.sha.slice(0, 7)}`,
    }),
  );
  return { step: outcome.held ? 'review' : 'busy' };
}
