import type { EpicState, TaskState } from '../../../db/schema.js';
import type { RepoConfig } from '../../../config/repoConfig.js';
import { blockedByClosedPullRequest } from '../../../domain/closedPullRequest.js';
import { epicStateLabel } from '../../../github/stateLabels.js';

/**
 * Reconciliation is a diff: what the records say about one epic against what
 * GitHub says now. The result is a list of repairs, each of which does what
 * the webhook that went missing would have caused. An unchanged epic yields
 * no repairs, so running it every few minutes is idempotent.
 */

export interface EpicRecord {
  epicId: number;
  state: EpicState;
  issueNumber: number;
  /** The head of the epic's merge queue and when the queue last looked at it (its last step). */
  queueHead?: { taskId: number; lookedAt: Date | null };
}

export interface TaskRecord {
  taskId: number;
  issueNumber: number;
  issueId: number;
  state: TaskState;
  prNumber: number | null;
  headSha: string | null;
  blockedReason: string | null;
}

export interface SubIssueView {
  id: number;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
}

/**
 * The checks and statuses on the queue head's commit, reduced to when the
 * last of them finished (null while none has).
 */
export interface HeadChecksView {
  headSha: string;
  lastFinishedAt: Date | null;
}

export type PullView =
  | { state: 'open'; headSha: string }
  | { state: 'closed'; merged: boolean; mergedSha: string | null; headSha: string }
  | { state: 'gone' };

/** What GitHub said in this pass; `undefined` means "not looked at this time". */
export interface GitHubEpicView {
  issue?: { state: 'open' | 'closed'; labels: readonly string[] } | { state: 'gone' };
  subIssues?: readonly SubIssueView[];
  pulls: ReadonlyMap<number, PullView>;
  headChecks?: HeadChecksView;
}

export interface DiffTiming {
  now: Date;
  /**
   * How long a finished check is left to its own webhook before it counts as
   * missed: a delivery in flight wakes the queue by itself, and a repair on top
   * of it would be noise. It also absorbs clock skew between GitHub and us.
   */
  settleMs: number;
}

export type Repair =
  | { kind: 'cancel-epic'; reason: string }
  | { kind: 'refresh-labels'; missing: string }
  | { kind: 'add-task'; subIssue: SubIssueView }
  | { kind: 'detach-task'; taskId: number; issueNumber: number }
  | {
      kind: 'pr-closed';
      taskId: number;
      prNumber: number;
      merged: boolean;
      mergedSha: string | null;
    }
  | { kind: 'pr-updated'; taskId: number; prNumber: number; headSha: string }
  | { kind: 'pr-gone'; taskId: number; prNumber: number }
  | { kind: 'pr-reopened'; taskId: number; prNumber: number; headSha: string }
  | { kind: 'task-issue-closed'; taskId: number; issueNumber: number }
  | {
      kind: 'checks-finished';
      taskId: number;
      prNumber: number;
      headSha: string;
      finishedAt: string;
    };

const finishedTask: readonly TaskState[] = ['COMPLETED', 'FAILED'];

export function diffEpic(
  epic: EpicRecord,
  tasks: readonly TaskRecord[],
  github: GitHubEpicView,
  labels: RepoConfig['labels'],
  timing: DiffTiming = { now: new Date(), settleMs: 0 },
): Repair[] {
  const issueRepairs = diffEpicIssue(epic, github.issue, labels);
  // A cancelled epic needs nothing else repaired.
  if (issueRepairs.some((repair) => repair.kind === 'cancel-epic')) return issueRepairs;
  return [
    ...issueRepairs,
    ...diffSubIssues(epic, tasks, github.subIssues),
    ...tasks.flatMap((task) => diffPull(task, github.pulls)),
    ...diffClosedTaskIssues(epic, tasks, github),
    ...diffHeadChecks(epic, tasks, github, timing),
  ];
}

function diffEpicIssue(
  epic: EpicRecord,
  issue: GitHubEpicView['issue'],
  labels: RepoConfig['labels'],
): Repair[] {
  if (!issue) return [];
  if (issue.state === 'gone')
    return [{ kind: 'cancel-epic', reason: `epic issue #${epic.issueNumber} was deleted` }];
  if (issue.state === 'closed')
    return [{ kind: 'cancel-epic', reason: `epic issue #${epic.issueNumber} was closed` }];
  if (!issue.labels.includes(labels.epic))
    return [{ kind: 'cancel-epic', reason: `the label ${labels.epic} was removed` }];
  const wanted = epicStateLabel(epic.state);
  if (wanted && !issue.labels.includes(labels[wanted]))
    return [{ kind: 'refresh-labels', missing: labels[wanted] }];
  return [];
}

function diffSubIssues(
  epic: EpicRecord,
  tasks: readonly TaskRecord[],
  subIssues: readonly SubIssueView[] | undefined,
): Repair[] {
  // While planning, the supervisor itself is creating sub-issues and their tasks:
  // a task whose issue exists but is not linked yet is work in progress, not a loss.
  if (!subIssues || epic.state === 'PLANNING') return [];
  const repairs: Repair[] = [];
  const recorded = new Set(tasks.map((task) => task.issueNumber));
  const onGitHub = new Set(subIssues.map((subIssue) => subIssue.number));
  for (const subIssue of subIssues) {
    if (!recorded.has(subIssue.number)) repairs.push({ kind: 'add-task', subIssue });
  }
  for (const task of tasks) {
    if (!onGitHub.has(task.issueNumber) && !finishedTask.includes(task.state)) {
      repairs.push({ kind: 'detach-task', taskId: task.taskId, issueNumber: task.issueNumber });
    }
  }
  return repairs;
}

function diffPull(task: TaskRecord, pulls: ReadonlyMap<number, PullView>): Repair[] {
  if (task.prNumber === null || finishedTask.includes(task.state)) return [];
  const pull = pulls.get(task.prNumber);
  if (!pull) return [];
  const prNumber = task.prNumber;
  // A PR closed unmerged or deleted leaves its task BLOCKED; once it is, nothing is missing.
  if (pull.state === 'gone')
    return task.state === 'BLOCKED' ? [] : [{ kind: 'pr-gone', taskId: task.taskId, prNumber }];
  if (pull.state === 'closed') {
    if (!pull.merged && task.state === 'BLOCKED') return [];
    return [
      {
        kind: 'pr-closed',
        taskId: task.taskId,
        prNumber,
        merged: pull.merged,
        mergedSha: pull.mergedSha,
      },
    ];
  }
  // Blocked because a person closed it, and open again: the missed `pull_request.reopened`.
  if (task.state === 'BLOCKED' && blockedByClosedPullRequest(task.blockedReason, prNumber)) {
    return [{ kind: 'pr-reopened', taskId: task.taskId, prNumber, headSha: pull.headSha }];
  }
  if (task.state === 'REVIEW' && task.headSha !== null && pull.headSha !== task.headSha) {
    return [{ kind: 'pr-updated', taskId: task.taskId, prNumber, headSha: pull.headSha }];
  }
  return [];
}

/**
 * A task whose issue a person closed while its work was unfinished. GitHub
 * closes a task's issue itself when its PR merges (`Closes #n`): that is the
 * merge, which `pr-closed` repairs, so a task with a PR counts only once its
 * PR was read this pass and is not merged.
 */
function diffClosedTaskIssues(
  epic: EpicRecord,
  tasks: readonly TaskRecord[],
  github: GitHubEpicView,
): Repair[] {
  if (!github.subIssues || epic.state === 'PLANNING') return [];
  const closed = new Set(github.subIssues.filter((s) => s.state === 'closed').map((s) => s.number));
  return tasks.flatMap((task): Repair[] => {
    if (!closed.has(task.issueNumber) || finishedTask.includes(task.state)) return [];
    if (task.state === 'BLOCKED') return [];
    if (task.prNumber !== null) {
      const pull = github.pulls.get(task.prNumber);
      if (!pull || (pull.state === 'closed' && pull.merged)) return [];
    }
    return [{ kind: 'task-issue-closed', taskId: task.taskId, issueNumber: task.issueNumber }];
  });
}

/**
 * A check run or status on the queue head's commit that finished after the
 * queue last looked, long enough ago that its webhook would have woken the
 * queue by now: the missed `check_run` / `status`. Only the head: PRs behind
 * it are not looked at until they get there, so their "last look" says
 * nothing. Once the woken queue looks again, its last step is newer than the
 * check, and further passes find nothing.
 */
function diffHeadChecks(
  epic: EpicRecord,
  tasks: readonly TaskRecord[],
  github: GitHubEpicView,
  timing: DiffTiming,
): Repair[] {
  const head = epic.queueHead;
  const checks = github.headChecks;
  if (!head || !checks?.lastFinishedAt) return [];
  const task = tasks.find((t) => t.taskId === head.taskId);
  if (!task || task.state !== 'REVIEW' || task.prNumber === null) return [];
  const pull = github.pulls.get(task.prNumber);
  // A head the records do not know yet is `pr-updated`'s to repair.
  if (pull?.state !== 'open' || pull.headSha !== checks.headSha || pull.headSha !== task.headSha)
    return [];
  const finishedAt = checks.lastFinishedAt;
  if (head.lookedAt && finishedAt.getTime() <= head.lookedAt.getTime()) return [];
  if (timing.now.getTime() - finishedAt.getTime() < timing.settleMs) return [];
  return [
    {
      kind: 'checks-finished',
      taskId: task.taskId,
      prNumber: task.prNumber,
      headSha: checks.headSha,
      finishedAt: finishedAt.toISOString(),
    },
  ];
}

/** The pull requests worth looking at: those of tasks not yet finished. */
export function pullsToWatch(tasks: readonly TaskRecord[]): number[] {
  return tasks
    .filter((task) => task.prNumber !== null && !finishedTask.includes(task.state))
    .map((task) => task.prNumber as number);
}
