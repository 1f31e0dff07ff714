import { and, eq } from 'drizzle-orm';
import { taskStateMachine } from '../../../domain/taskStateMachine.js';
import {
  mergeQueueEntries,
  tasks,
  type Epic,
  type Task,
  type TaskState,
} from '../../../db/schema.js';
import { jobIds } from '../../../queues/jobs.js';
import { addTaskForSubIssue } from '../../../intake/subIssues.js';
import { tellPeople } from '../escalation/tellPeople.js';
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
 * missed close is a stand-in until the merge queue exports its closed-PR
 * handling: a merged PR completes its task and moves the queue on; a PR
 * closed unmerged blocks its task with a comment.
 */
export const defaultRepairs: ReconcileRepairs = {
  async addTask(deps, epic, subIssue) {
    await addTaskForSubIssue(deps, epic, subIssue);
  },

  async pullRequestClosed(deps, epic, task, pull) {
    if (pull.merged) {
      await deps.db
        .update(mergeQueueEntries)
        .set({ state: 'merged', mergedAt: deps.now(), mergedSha: pull.mergedSha })
        .where(and(eq(mergeQueueEntries.taskId, task.id), eq(mergeQueueEntries.state, 'queued')));
      await moveTask(deps, task, ['REVIEW', 'COMPLETED'], { completedAt: deps.now() });
    } else {
      await deps.db
        .update(mergeQueueEntries)
        .set({ state: 'removed' })
        .where(and(eq(mergeQueueEntries.taskId, task.id), eq(mergeQueueEntries.state, 'queued')));
      const reason = `PR #${pull.number} was closed without merging`;
      await moveTask(deps, task, ['BLOCKED'], { blockedReason: reason });
      await tellPeople(deps, {
        epic,
        issueNumber: task.issueNumber,
        taskId: task.id,
        dedupeKey: `pr-closed-${task.id}-${pull.number}`,
        subject: 'Pull request closed',
        body: `**Blocked:** ${reason}. Reopen it to continue, or comment \`/factory retry\` for a fresh attempt.`,
      });
    }
    await deps.queues.enqueue(
      'advance-merge-queue',
      { epicId: epic.id, ...githubRef(epic) },
      { jobId: jobIds.forEntity('advance-merge-queue', epic.id, 'pr', pull.number, 'closed') },
    );
  },
};

/** Walks a task through legal moves (e.g. IN_PROGRESS → REVIEW → COMPLETED), each guarded. */
async function moveTask(
  deps: OrchestratorDeps,
  task: Task,
  path: readonly TaskState[],
  extra: Partial<Pick<Task, 'completedAt' | 'blockedReason'>>,
) {
  let from = task.state;
  const target = path[path.length - 1];
  const steps = taskStateMachine.canTransition(from, target ?? from) ? path.slice(-1) : path;
  for (const to of steps) {
    if (from === to || !taskStateMachine.canTransition(from, to)) continue;
    const [moved] = await deps.db
      .update(tasks)
      .set({ state: to, ...(to === target ? extra : {}) })
      .where(and(eq(tasks.id, task.id), eq(tasks.state, from)))
      .returning({ id: tasks.id });
    if (!moved) return;
    from = to;
  }
}

export function githubRef(epic: Epic) {
  return { installationId: epic.installationId, owner: epic.repoOwner, repo: epic.repoName };
}
