import type { EpicState, TaskState } from '../../db/schema.js';
import type { Plan, PlanTask } from './plan.js';

/** Pure: the text of the supervisor's comments and of the issues it creates. */

export interface ProgressTask {
  issueNumber: number;
  title: string;
  state: TaskState;
  prNumber: number | null;
  prUrl: string | null;
  costUsd: number;
  dependsOnIssues: number[];
  reason: string | null;
}

export interface ProgressView {
  epicState: EpicState;
  tasks: ProgressTask[];
  costUsd: number;
  pausedReason: string | null;
  blockedReason: string | null;
  awaitingApproval: boolean;
  /** `humanReviewRequired`: the queue merges a PR only once a person with write access approved it. */
  humanReviewRequired?: boolean;
}

const epicWords: Record<EpicState, string> = {
  PLANNING: 'planning',
  IN_PROGRESS: 'in progress',
  BLOCKED: 'blocked',
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
};

const taskWords: Record<TaskState, string> = {
  PENDING: 'waiting to start',
  ASSIGNED: 'starting',
  IN_PROGRESS: 'being implemented',
  REVIEW: 'in review',
  COMPLETED: 'merged',
  BLOCKED: 'blocked',
  FAILED: 'failed',
};

export const usd = (value: number) => `$${value.toFixed(2)}`;

/** One line of markdown that cannot break the comment's structure. */
export function inline(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/<!--/g, '&lt;!--')
    .trim();
}

export function renderProgress(view: ProgressView): string {
  const lines = ['### Factory progress', ''];
  let status = `**Epic:** ${epicWords[view.epicState]}`;
  if (view.awaitingApproval) status += ' — the plan waits for approval (`/factory approve`)';
  if (view.pausedReason) status += ` — paused: ${inline(view.pausedReason)}`;
  if (view.epicState === 'BLOCKED' && view.blockedReason)
    status += ` — ${inline(view.blockedReason)}`;
  lines.push(`${status} · **Cost:** ${usd(view.costUsd)}`, '');
  if (view.humanReviewRequired)
    lines.push(
      "**Merging:** each pull request waits for a person's approval (`humanReviewRequired`); the supervisor's review alone does not merge it.",
      '',
    );
  if (view.tasks.length === 0) lines.push('_No tasks yet._');
  const done = view.tasks.filter((task) => task.state === 'COMPLETED').length;
  if (view.tasks.length > 0) lines.push(`${done} of ${view.tasks.length} tasks merged.`, '');
  for (const task of view.tasks) {
    const parts = [`#${task.issueNumber} ${inline(task.title)}`, taskWords[task.state]];
    if (task.prNumber !== null)
      parts.push(task.prUrl ? `[PR #${task.prNumber}](${task.prUrl})` : `PR #${task.prNumber}`);
    if (task.state === 'PENDING' && task.dependsOnIssues.length > 0)
      parts.push(`after ${task.dependsOnIssues.map((n) => `#${n}`).join(', ')}`);
    if (task.state === 'REVIEW' && task.prNumber !== null && view.humanReviewRequired)
      parts.push("waits for a person's approval");
    if ((task.state === 'FAILED' || task.state === 'BLOCKED') && task.reason)
      parts.push(inline(task.reason).slice(0, 200));
    parts.push(usd(task.costUsd));
    lines.push(`- [${task.state === 'COMPLETED' ? 'x' : ' '}] ${parts.join(' · ')}`);
  }
  return lines.join('\n');
}

export function renderPlanComment(plan: Plan, options: { awaitingApproval: boolean }): string {
  const lines = ['### Factory plan', '', plan.summary.trim(), ''];
  plan.tasks.forEach((task, index) => {
    const after =
      task.dependsOn.length > 0
        ? ` _(after ${task.dependsOn.map((k) => `\`${k}\``).join(', ')})_`
        : '';
    lines.push(`${index + 1}. **${inline(task.title)}** \`${task.key}\`${after}`);
    for (const criterion of task.acceptanceCriteria) lines.push(`   - ${inline(criterion)}`);
  });
  lines.push('');
  lines.push(
    options.awaitingApproval
      ? 'This plan waits for approval: someone with write access can comment `/factory approve` to start, or `/factory replan` for a new plan.'
      : 'Each task becomes a sub-issue of this epic and is implemented in its own pull request.',
  );
  return lines.join('\n');
}

/** The hidden marker that lets a retried job find the issue it created for a plan task. */
export function taskIssueMarker(epicIssue: number, key: string): string {
  return `<!-- factory:task epic=${epicIssue} key=${key} -->`;
}

export function renderTaskIssueBody(
  epicIssue: number,
  task: PlanTask,
  dependsOnIssues: number[],
): string {
  const lines = [task.description.trim(), '', '**Acceptance criteria**', ''];
  for (const criterion of task.acceptanceCriteria) lines.push(`- [ ] ${inline(criterion)}`);
  lines.push('', `Part of #${epicIssue}.`);
  if (dependsOnIssues.length > 0)
    lines.push(
      `Starts after ${dependsOnIssues.map((n) => `#${n}`).join(', ')} ${dependsOnIssues.length > 1 ? 'are' : 'is'} merged.`,
    );
  lines.push('', taskIssueMarker(epicIssue, task.key));
  return lines.join('\n');
}
