import type { FactoryDeps } from '../deps.js';
import type { JobProcessors } from '../queues/workers.js';
import { advanceMergeQueue, type AdvanceDeps } from './advance.js';
import { completeEpic } from './completeEpic.js';
import type { MergeQueueGit } from './ports.js';
import { defaultMergeQueueOptions, type MergeQueueOptions } from './steps/context.js';

/** The merge queue's jobs: advancing an epic's PR queue, and closing the epic after the last merge. */
export function buildMergeQueueProcessors(
  deps: FactoryDeps,
  git: MergeQueueGit,
  options: Partial<MergeQueueOptions> = {},
): JobProcessors {
  const queueDeps: AdvanceDeps = {
    ...deps,
    git,
    options: { ...defaultMergeQueueOptions, ...options },
  };
  return {
    'advance-merge-queue': (payload) => advanceMergeQueue(queueDeps, payload),
    'complete-epic': (payload) => completeEpic(queueDeps, payload),
  };
}
