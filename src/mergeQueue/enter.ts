import type { FactoryDeps } from '../deps.js';
import { enterMergeQueue } from './entries.js';
import { wakeQueue } from './steps/context.js';

/**
 * How the rest of Factory hands PRs to the queue. The worker calls
 * `queuePullRequest` when its task enters REVIEW with a PR, and
 * `wakeMergeQueue` after it pushed a rework round (its own push sends no
 * webhook the app listens to: the app ignores events it caused).
 */

export interface QueueTarget {
  epicId: number;
  installationId: number;
  owner: string;
  repo: string;
}

export async function queuePullRequest(
  deps: Pick<FactoryDeps, 'db' | 'queues'>,
  input: QueueTarget & { taskId: number; prNumber: number },
): Promise<void> {
  const entry = await enterMergeQueue(deps.db, input);
  await wakeQueue(deps, input, ['entered', entry.id, entry.position]);
}

/** `because` names the change (e.g. the pushed head sha), so each change gets one look. */
export async function wakeMergeQueue(
  deps: Pick<FactoryDeps, 'queues'>,
  target: QueueTarget,
  because: (string | number)[],
): Promise<void> {
  await wakeQueue(deps, target, because);
}
