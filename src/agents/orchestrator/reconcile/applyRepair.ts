import { and, eq } from 'drizzle-orm';
import type { ProbotOctokit } from 'probot';
import type { RepoConfig } from '../../../config/repoConfig.js';
import { taskStateMachine } from '../../../domain/taskStateMachine.js';
import { tasks, type Epic, type Task } from '../../../db/schema.js';
import { setStateLabel } from '../../../github/labels.js';
import { epicStateLabel } from '../../../github/stateLabels.js';
import { jobIds } from '../../../queues/jobs.js';
import { escalate } from '../escalation/escalate.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { recordDecision } from '../orchestratorAgent.js';
import type { Repair } from './diffEpic.js';
import { githubRef } from './repairs.js';

export interface RepairContext {
  epic: Epic;
  tasks: ReadonlyMap<number, Task>;
  config: RepoConfig;
  octokit: ProbotOctokit;
  /** Unique per reconciliation pass, for job ids of repairs that may recur. */
  passKey: string;
}

/** Carries out one repair and records it as a decision of the orchestrator. */
export async function applyRepair(deps: OrchestratorDeps, ctx: RepairContext, repair: Repair) {
  const { epic } = ctx;
  const task = 'taskId' in repair ? ctx.tasks.get(repair.taskId) : undefined;
  await recordDecision(deps.db, {
    installationId: epic.installationId,
    epicId: epic.id,
    taskId: task?.id,
    decision: `repair:${repair.kind}`,
    reasoning: explain(repair),
    context: { repair },
  });
  deps.log.info({ epic: epic.id, task: task?.id, repair: repair.kind }, 'reconciliation repair');
  const ref = { epicId: epic.id, ...githubRef(epic) };
  switch (repair.kind) {
    case 'cancel-epic':
      await deps.queues.enqueue(
        'cancel-epic',
        { ...ref, reason: repair.reason },
        { jobId: jobIds.forEntity('cancel-epic', epic.id, 'reconcile') },
      );
      return;
    case 'refresh-labels':
      await setStateLabel(ctx.octokit, {
        owner: epic.repoOwner,
        repo: epic.repoName,
        issueNumber: epic.issueNumber,
        labels: ctx.config.labels,
        state: epicStateLabel(epic.state),
      });
      return;
    case 'add-task':
      await deps.repairs.addTask(deps, epic, repair.subIssue);
      return;
    case 'pr-closed':
      if (task) {
        await deps.repairs.pullRequestClosed(deps, epic, task, {
          number: repair.prNumber,
          merged: repair.merged,
          mergedSha: repair.mergedSha,
        });
      }
      return;
    case 'pr-updated':
      await deps.queues.enqueue('advance-merge-queue', ref, {
        jobId: jobIds.forEntity('advance-merge-queue', epic.id, 'head', repair.headSha),
      });
      return;
    case 'pr-reopened':
      // What `pull_request.reopened` does: the queue re-reads the PR and takes it back.
      await deps.queues.enqueue(
        'advance-merge-queue',
        { ...ref, reopened: repair.prNumber },
        {
          jobId: jobIds.forEntity(
            'advance-merge-queue',
            epic.id,
            'reopened',
            repair.prNumber,
            ctx.passKey,
          ),
        },
      );
      return;
    case 'checks-finished':
      // What `check_run.completed` / `status` does: wake the queue, which reads the checks itself.
      await deps.queues.enqueue('advance-merge-queue', ref, {
        jobId: jobIds.forEntity(
          'advance-merge-queue',
          epic.id,
          'checks',
          repair.headSha,
          Date.parse(repair.finishedAt),
        ),
      });
      return;
    case 'detach-task':
    case 'pr-gone':
    case 'task-issue-closed':
      if (task) await blockAndEscalate(deps, ctx, task, repair);
      return;
  }
}

const nextStepFor: Record<BlockingRepair['kind'], string> = {
  'detach-task':
    'Add the issue back as a sub-issue of this epic and comment `/factory retry` on it, or leave it parked.',
  'pr-gone': 'Comment `/factory retry` on the task for a fresh attempt.',
  'task-issue-closed':
    'Reopen the issue and comment `/factory retry` on it to go on with the task, or leave it parked.',
};

type BlockingRepair = Extract<Repair, { kind: 'detach-task' | 'pr-gone' | 'task-issue-closed' }>;

async function blockAndEscalate(
  deps: OrchestratorDeps,
  ctx: RepairContext,
  task: Task,
  repair: BlockingRepair,
) {
  const reason = explain(repair);
  if (task.state !== 'BLOCKED' && taskStateMachine.canTransition(task.state, 'BLOCKED')) {
    await deps.db
      .update(tasks)
      .set({ state: 'BLOCKED', blockedReason: reason })
      .where(and(eq(tasks.id, task.id), eq(tasks.state, task.state)));
  }
  await escalate(deps, {
    epic: ctx.epic,
    cause: `${repair.kind}:${task.id}`,
    labels: ctx.config.labels,
    blockedIssueNumber: task.issueNumber,
    message: `${reason[0]?.toUpperCase()}${reason.slice(1)}, so task #${task.issueNumber} is parked as BLOCKED. ${nextStepFor[repair.kind]}`,
  });
}

function explain(repair: Repair): string {
  switch (repair.kind) {
    case 'cancel-epic':
      return `${repair.reason}; no webhook said so — cancelling the epic`;
    case 'refresh-labels':
      return `the label ${repair.missing} is missing from the epic — setting labels again`;
    case 'add-task':
      return `sub-issue #${repair.subIssue.number} is under the epic but has no task (missed sub_issue_added)`;
    case 'detach-task':
      return `issue #${repair.issueNumber} is no longer a sub-issue of the epic (removed or deleted)`;
    case 'pr-closed':
      return `PR #${repair.prNumber} was ${repair.merged ? 'merged' : 'closed without merging'} and no webhook said so (missed pull_request.closed)`;
    case 'pr-updated':
      return `PR #${repair.prNumber} has a new head ${repair.headSha.slice(0, 7)} (missed synchronize) — the merge queue looks again`;
    case 'pr-gone':
      return `PR #${repair.prNumber} no longer exists`;
    case 'pr-reopened':
      return `PR #${repair.prNumber} is open again and no webhook said so (missed pull_request.reopened) — the merge queue takes it back`;
    case 'task-issue-closed':
      return `issue #${repair.issueNumber} was closed by a person while its task was unfinished (no webhook reports that)`;
    case 'checks-finished':
      return `a check on PR #${repair.prNumber} (${repair.headSha.slice(0, 7)}) finished at ${repair.finishedAt}, after the merge queue last looked, and no webhook said so (missed check_run / status) — the merge queue looks again`;
  }
}
