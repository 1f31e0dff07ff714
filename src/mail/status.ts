import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { modelUsage, type Agent, type Epic, type Task } from '../db/schema.js';
import { listTasksOfEpic } from '../db/tasks.js';

/** The answer to `/factory status`: where an epic or a task stands, in a few lines. */

export interface EpicStatus {
  epic: Epic;
  tasks: Task[];
  costByTask: Map<number, number>;
  totalCost: number;
}

export interface TaskStatus {
  epic: Epic;
  task: Task;
  worker?: Agent;
  cost: number;
}

export function describeEpicStatus({ epic, tasks, costByTask, totalCost }: EpicStatus): string {
  const lines = [`**Epic #${epic.issueNumber}** is ${stateText(epic.state)}${pausedText(epic)}.`];
  lines.push(`Plan: ${planText(epic)}.`);
  if (epic.blockedReason && epic.state === 'BLOCKED') lines.push(`Blocked: ${epic.blockedReason}`);
  if (tasks.length === 0) {
    lines.push('No tasks yet.');
  } else {
    lines.push(`Tasks: ${tasks.length} — ${countByState(tasks)}.`, '');
    lines.push('| Task | State | PR | Attempts | Cost |', '|---|---|---|---|---|');
    for (const task of tasks) {
      const pr = task.prNumber ? `#${task.prNumber}` : '—';
      lines.push(
        `| #${task.issueNumber} ${escapeCell(task.title)} | ${task.state} | ${pr} | ${task.attempts} | ${usd(costByTask.get(task.id) ?? 0)} |`,
      );
    }
    lines.push('');
  }
  lines.push(`Cost so far: ${usd(totalCost)}.`);
  return lines.join('\n');
}

export function describeTaskStatus({ epic, task, worker, cost }: TaskStatus): string {
  const lines = [`**Task #${task.issueNumber}** (epic #${epic.issueNumber}) is ${task.state}.`];
  lines.push(`Pull request: ${task.prNumber ? `#${task.prNumber}` : 'none yet'}.`);
  lines.push(`Attempts: ${task.attempts}.`);
  if (worker) lines.push(`Worker: ${worker.state.toLowerCase()}.`);
  if (task.state === 'BLOCKED' && task.blockedReason) lines.push(`Blocked: ${task.blockedReason}`);
  if (task.state === 'FAILED' && task.failureReason) lines.push(`Failed: ${task.failureReason}`);
  if (epic.pausedAt)
    lines.push(`The epic is paused${epic.pausedReason ? ` (${epic.pausedReason})` : ''}.`);
  lines.push(`Cost so far: ${usd(cost)}.`);
  return lines.join('\n');
}

export async function loadEpicStatus(db: Database, epic: Epic): Promise<EpicStatus> {
  const tasks = await listTasksOfEpic(db, epic.id);
  const rows = await db
    .select({
      taskId: modelUsage.taskId,
      cost: sql<number>`coalesce(sum(${modelUsage.costUsd}), 0)`,
    })
    .from(modelUsage)
    .where(eq(modelUsage.epicId, epic.id))
    .groupBy(modelUsage.taskId);
  const costByTask = new Map<number, number>();
  let totalCost = 0;
  for (const row of rows) {
    const cost = Number(row.cost);
    totalCost += cost;
    if (row.taskId !== null) costByTask.set(row.taskId, cost);
  }
  return { epic, tasks, costByTask, totalCost };
}

export async function loadTaskCost(db: Database, taskId: number): Promise<number> {
  const [row] = await db
    .select({ cost: sql<number>`coalesce(sum(${modelUsage.costUsd}), 0)` })
    .from(modelUsage)
    .where(eq(modelUsage.taskId, taskId));
  return Number(row?.cost ?? 0);
}

function stateText(state: string): string {
  return `**${state}**`;
}

function pausedText(epic: Epic): string {
  if (!epic.pausedAt) return '';
  return ` and paused${epic.pausedReason ? ` (${epic.pausedReason})` : ''}`;
}

function planText(epic: Epic): string {
  if (epic.planApprovedAt)
    return `approved${epic.planApprovedBy ? ` by @${epic.planApprovedBy}` : ''}`;
  if (epic.plan !== null && epic.plan !== undefined) {
    return epic.state === 'PLANNING' ? 'posted, waiting for `/factory approve`' : 'made';
  }
  return epic.state === 'PLANNING' ? 'being made' : 'none';
}

function countByState(tasks: Task[]): string {
  const counts = new Map<string, number>();
  for (const task of tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}

function usd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
