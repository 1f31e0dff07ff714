import { findEpic, updateEpic } from '../../db/epics.js';
import { listTasksOfEpic } from '../../db/tasks.js';
import { epicCost, taskCostsOfEpic } from '../../db/usage.js';
import { ensureComment } from '../../github/comments.js';
import { setStateLabel } from '../../github/labels.js';
import { epicStateLabel, taskStateLabel } from '../../github/stateLabels.js';
import type { JobPayload } from '../../queues/jobs.js';
import type { FlowServices } from '../flow/services.js';
import { renderProgress, type ProgressView } from './render.js';

/**
 * The `update-progress` job: the epic's one progress comment says where every
 * task stands (state, PR, cost) and the epic's state, and the state labels of
 * the epic and its task issues mirror the records. Reads everything fresh,
 * so any number of runs, in any order, converge on the same comment.
 */
export async function updateProgress(
  flow: FlowServices,
  payload: JobPayload<'update-progress'>,
): Promise<'updated' | 'skipped'> {
  const { db } = flow.deps;
  const epic = await findEpic(db, payload.epicId);
  if (!epic) return 'skipped';
  const config = await flow.repoConfig(epic);
  const tasks = await listTasksOfEpic(db, epic.id);
  const costs = await taskCostsOfEpic(db, epic.id);
  const issueOf = new Map(tasks.map((task) => [task.id, task.issueNumber]));
  const view: ProgressView = {
    epicState: epic.state,
    costUsd: (await epicCost(db, epic.id)).costUsd,
    pausedReason: epic.pausedAt ? (epic.pausedReason ?? 'paused') : null,
    blockedReason: epic.blockedReason,
    awaitingApproval:
      epic.state === 'PLANNING' &&
      epic.plan !== null &&
      config.planApproval &&
      !epic.planApprovedAt,
    humanReviewRequired: config.humanReviewRequired,
    tasks: tasks.map((task) => ({
      issueNumber: task.issueNumber,
      title: task.title,
      state: task.state,
      prNumber: task.prNumber,
      prUrl: task.prUrl,
      costUsd: costs.get(task.id)?.costUsd ?? 0,
      dependsOnIssues: task.dependsOn.flatMap((id) => issueOf.get(id) ?? []),
      reason: task.state === 'FAILED' ? task.failureReason : task.blockedReason,
    })),
  };
  const octokit = await flow.octokit(epic.installationId);
  const repo = { owner: epic.repoOwner, repo: epic.repoName };
  const comment = await ensureComment(octokit, {
    ...repo,
    issueNumber: epic.issueNumber,
    key: 'progress',
    body: renderProgress(view),
  });
  if (epic.progressCommentId !== comment.id)
    await updateEpic(db, epic.id, { progressCommentId: comment.id });
  await setStateLabel(octokit, {
    ...repo,
    issueNumber: epic.issueNumber,
    labels: config.labels,
    state: epicStateLabel(epic.state),
  });
  for (const task of tasks) {
    await setStateLabel(octokit, {
      ...repo,
      issueNumber: task.issueNumber,
      labels: config.labels,
      state: taskStateLabel(task.state),
    });
  }
  return 'updated';
}
