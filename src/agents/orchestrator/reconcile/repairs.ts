import type { Epic, Task } from '../../../db/schema.js';
import { addTaskForSubIssue } from '../../../intake/subIssues.js';
import { wakeMergeQueue } from '../../../mergeQueue/enter.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import type { SubIssueView } from './diffEpic.js';

export interface ClosedPull {
  number: number;
  merged: boolean;
  mergedSha: string | null;
}

/**
 * The repairs that stand in for a missed webhook. Each must be what the
 * webhook path itself does, so reconciliation never grows a second version of
 * the product's behaviour: wire the intake's and the merge queue's own
 * functions in here (see `orchestratorDeps`).
 */
export interface ReconcileRepairs {
  /** A sub-issue under the epic that has no Task: what `sub_issues.sub_issue_added` does. */
  addTask(deps: OrchestratorDeps, epic: Epic, subIssue: SubIssueView): Promise<void>;
  /** A task's PR was merged or closed and no webhook said so: what `pull_request.closed` does. */
  pullRequestClosed(
    deps: OrchestratorDeps,
    epic: Epic,
    task: Task,
    pull: ClosedPull,
  ): Promise<void>;
}

/**
 * A missed sub-issue goes through the sub-issue intake's own function. A
 * missed close wakes the epic's merge queue exactly as the
 * `pull_request.closed` webhook does: the queue reads the PR from GitHub
 * itself and records the merge and moves on, or blocks the task with its
 * comment — one version of that behaviour, the queue's. The job id names the
 * PR, so a pass repeated before the queue has run adds no second job.
 */
export const defaultRepairs: ReconcileRepairs = {
  async addTask(deps, epic, subIssue) {
    await addTaskForSubIssue(deps, epic, subIssue);
  },

  async pullRequestClosed(deps, epic, _task, pull) {
    await wakeMergeQueue(deps, { epicId: epic.id, ...githubRef(epic) }, [
      'pr',
      pull.number,
      'closed',
    ]);
  },
};

export function githubRef(epic: Epic) {
  return { installationId: epic.installationId, owner: epic.repoOwner, repo: epic.repoName };
}
