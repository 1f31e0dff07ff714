import { and, eq } from 'drizzle-orm';
import type { ProbotOctokit } from 'probot';
import type { RepoConfig } from '../../config/repoConfig.js';
import { tasks, type Epic } from '../../db/schema.js';
import { enterMergeQueue } from '../entries.js';
import type { RepoTarget } from '../ports.js';
import { reopenDecision, type ReopenDecision } from '../reopened.js';
import { logDecision, moveHeadTask, type MergeQueueDeps } from './context.js';

/**
 * A person reopened a bot PR that had been closed without merging: its task
 * goes back from BLOCKED to REVIEW and the PR re-enters the epic's queue at the
 * end. Reads the PR from GitHub (the webhook only says where to look) and is
 * safe to repeat: a second run finds the task in REVIEW and its entry queued.
 */
export async function reenterReopenedPr(input: {
  deps: MergeQueueDeps;
  octokit: ProbotOctokit;
  target: RepoTarget;
  epic: Epic;
  config: RepoConfig;
  prNumber: number;
}): Promise<ReopenDecision> {
  const { deps, octokit, target, epic, config, prNumber } = input;
  const [task] = await deps.db
    .select()
    .from(tasks)
    .where(and(eq(tasks.epicId, epic.id), eq(tasks.prNumber, prNumber)));
  if (!task) return { kind: 'ignore', reason: `no task of this epic has PR #${prNumber}` };
  const { data: pr } = await octokit.rest.pulls.get({
    owner: target.owner,
    repo: target.repo,
    pull_number: prNumber,
  });
  const decision = reopenDecision({
    pr: { number: prNumber, state: pr.state === 'open' ? 'open' : 'closed', merged: pr.merged },
    task: { state: task.state, prNumber: task.prNumber },
  });
  if (decision.kind === 'ignore') return decision;
  const ctx = { deps, task, octokit, target, config, epic };
  // False when another process moved the task first; whatever it did, re-entering is decided below.
  const unblocked = decision.unblock && (await moveHeadTask(ctx, 'BLOCKED', 'REVIEW'));
  const [now] = await deps.db.select().from(tasks).where(eq(tasks.id, task.id));
  if (now?.state !== 'REVIEW') return { kind: 'ignore', reason: `the task is ${now?.state}` };
  const entry = await enterMergeQueue(deps.db, { epicId: epic.id, taskId: task.id, prNumber });
  if (unblocked) {
    await logDecision(ctx, 're-enter', decision.reason, {
      pr: prNumber,
      position: entry.position,
    });
  }
  return decision;
}
