import type { EpicState, TaskState } from '../../../db/schema.js';
import type { RepoConfig } from '../../../config/repoConfig.js';
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
}

export interface TaskRecord {
  taskId: number;
  issueNumber: number;
  issueId: number;
  state: TaskState;
  prNumber: number | null;
  headSha: string | null;
}

export interface SubIssueView {
  id: number;
  number: number;
  title: string;
  body: string;
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
  | { kind: 'pr-gone'; taskId: number; prNumber: number };

const finishedTask: readonly TaskState[] = ['COMPLETED', 'FAILED'];

export function diffEpic(
  epic: EpicRecord,
  tasks: readonly TaskRecord[],
  github: GitHubEpicView,
  labels: RepoConfig['labels'],
): Repair[] {
  const issueRepairs = diffEpicIssue(epic, github.issue, labels);
  // A cancelled epic needs nothing else repaired.
  if (issueRepairs.some((repair) => repair.kind === 'cancel-epic')) return issueRepairs;
  return [
    ...issueRepairs,
    ...diffSubIssues(epic, tasks, github.subIssues),
    ...tasks.flatMap((task) => diffPull(task, github.pulls)),
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
  if (task.state === 'REVIEW' && task.headSha !== null && pull.headSha !== task.headSha) {
    return [{ kind: 'pr-updated', taskId: task.taskId, prNumber, headSha: pull.headSha }];
  }
  return [];
}

/** The pull requests worth looking at: those of tasks not yet finished. */
export function pullsToWatch(tasks: readonly TaskRecord[]): number[] {
  return tasks
    .filter((task) => task.prNumber !== null && !finishedTask.includes(task.state))
    .map((task) => task.prNumber as number);
}
