import type { FactoryDeps } from '../deps.js';
import { leaseHolderOf } from '../queues/processIdentity.js';
import type { JobProcessors } from '../queues/workers.js';
import { advanceMergeQueue, type AdvanceDeps } from './advance.js';
import { completeEpic } from './completeEpic.js';
import type { MergeQueueGit } from './ports.js';
import { noteResumedJob } from './resumedJob.js';
import { reviewPrAhead } from './reviewAheadJob.js';
import { defaultMergeQueueOptions, type MergeQueueOptions } from './steps/context.js';

/** The merge queue's jobs: advancing an epic's PR queue, reviewing the PRs behind its head, and closing the epic after the last merge. */
export function buildMergeQueueProcessors(
  deps: FactoryDeps,
  git: MergeQueueGit,
  options: Partial<MergeQueueOptions> = {},
): JobProcessors {
  const queueDeps: AdvanceDeps = {
    ...deps,
    git,
    options: {
      ...defaultMergeQueueOptions,
      // A crashed step is taken over as soon as a dead agent would be found.
      leaseMs: deps.env.HEARTBEAT_TIMEOUT_SECONDS * 1000,
      ...options,
    },
  };
  return {
    'advance-merge-queue': (payload, job) =>
      advanceMergeQueue(queueDeps, payload, leaseHolderOf(job)),
    'complete-epic': async (payload, job) => {
      await noteResumedJob(deps.db, job, {
        epicId: payload.epicId,
        what: 'completing the epic after its last merge',
      });
      return completeEpic(queueDeps, payload);
    },
    'review-ahead': (payload, job) => reviewPrAhead(queueDeps, payload, leaseHolderOf(job)),
  };
}
