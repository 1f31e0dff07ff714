import { inline, usd } from '../supervisor/render.js';
import type { CommandResult } from './commands.js';

/** Pure: the worker's pull request and its comments. */

export interface PullRequestView {
  taskIssue: number;
  epicIssue: number;
  summary: string;
  checks: CommandResult[];
  costUsd: number;
  attempt: number;
}

export function pullRequestTitle(taskTitle: string, taskIssue: number): string {
  return `${inline(taskTitle).slice(0, 200)} (#${taskIssue})`;
}

export function renderPullRequestBody(view: PullRequestView): string {
  const lines = [
    view.summary.trim() || '_The agent gave no summary._',
    '',
    `Closes #${view.taskIssue}`,
    `Part of #${view.epicIssue}`,
    '',
    '**Checks run**',
    '',
  ];
  if (view.checks.length === 0)
    lines.push('_No setup or test commands are configured in `.github/factory.yml`._');
  for (const check of view.checks) {
    const outcome = check.timedOut
      ? 'timed out'
      : check.ok
        ? 'passed'
        : `failed (exit ${check.exitCode ?? 'signal'})`;
    lines.push(
      `- ${check.ok ? '✅' : '❌'} \`${inline(check.command)}\` (${check.phase}) — ${outcome} in ${seconds(check.durationMs)}`,
    );
  }
  lines.push('', `**Cost:** ${usd(view.costUsd)} · attempt ${view.attempt}`);
  return lines.join('\n');
}

export interface FailureView {
  reason: string;
  attempts: number;
  maxAttempts: number;
  lastOutput: string;
}

export function renderFailureComment(view: FailureView): string {
  const lines = [
    `### Factory could not finish this task`,
    '',
    `**Reason:** ${inline(view.reason)}`,
    '',
    `Tried ${view.attempts} time${view.attempts === 1 ? '' : 's'} (limit ${view.maxAttempts}). The task's worktree is kept on the Factory server for inspection until the epic ends. Comment \`/factory retry\` to try again.`,
  ];
  if (view.lastOutput.trim()) {
    lines.push(
      '',
      '<details><summary>Last output</summary>',
      '',
      fence(tail(view.lastOutput, 6_000)),
      '',
      '</details>',
    );
  }
  return lines.join('\n');
}

export function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

/** A code fence longer than any run of backticks inside, so output cannot end it early. */
export function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
