import { and, asc, desc, eq, inArray, notInArray, or, sql } from 'drizzle-orm';
import {
  agents,
  epics,
  escalations,
  mergeQueueEntries,
  modelUsage,
  tasks,
  type Epic,
  type Task,
} from '../../db/schema.js';
import { redactOptional, redactSecrets } from '../redact.js';
import { summarizeEpics } from './epicSummaries.js';
import { readRecovering } from './recovering.js';
import {
  agentRefOf,
  iso,
  selectAgentSummaries,
  sumUsage,
  taskRefOf,
  total,
  type ReadContext,
} from './shared.js';
import { readTimeline } from './timeline.js';
import type { EpicDetail, MergeQueueRow, TaskRow } from './types.js';

export const epicLimits = { timeline: 100, agents: 50, mergedEntries: 20 };

export async function readEpicDetail(ctx: ReadContext, epicId: number): Promise<EpicDetail | null> {
  const [row] = await ctx.db.select().from(epics).where(eq(epics.id, epicId));
  if (!row) return null;
  const [summary] = await summarizeEpics(ctx, [row]);
  if (!summary) return null;
  const [taskRows, mergeQueue, escalationRows, epicAgents, usage, timeline] = await Promise.all([
    readTasks(ctx, row),
    readMergeQueue(ctx, row),
    ctx.db
      .select()
      .from(escalations)
      .where(eq(escalations.epicId, epicId))
      .orderBy(desc(escalations.createdAt)),
    selectAgentSummaries(
      ctx,
      or(
        eq(agents.epicId, epicId),
        inArray(
          agents.taskId,
          ctx.db.select({ id: tasks.id }).from(tasks).where(eq(tasks.epicId, epicId)),
        ),
      ),
      epicLimits.agents,
    ),
    sumUsage(ctx.db, eq(modelUsage.epicId, epicId)),
    readTimeline(ctx, { epicId }, epicLimits.timeline),
  ]);
  return {
    epic: {
      ...summary,
      baseBranch: row.baseBranch === null ? null : redactSecrets(row.baseBranch),
      planApprovedAt: iso(row.planApprovedAt),
      planApprovedBy: redactOptional(row.planApprovedBy),
    },
    tasks: taskRows,
    mergeQueue,
    escalations: escalationRows.map((e) => ({
      id: e.id,
      cause: redactSecrets(e.cause),
      message: redactSecrets(e.message),
      createdAt: iso(e.createdAt),
      resolvedAt: iso(e.resolvedAt),
    })),
    agents: epicAgents,
    usage,
    timeline,
  };
}

async function readTasks(ctx: ReadContext, epic: Epic): Promise<TaskRow[]> {
  const [rows, costs, recovering] = await Promise.all([
    ctx.db
      .select({ task: tasks, agent: { id: agents.id, kind: agents.kind, state: agents.state } })
      .from(tasks)
      .leftJoin(agents, eq(agents.id, tasks.assignedAgentId))
      .where(eq(tasks.epicId, epic.id))
      .orderBy(asc(tasks.position), asc(tasks.id)),
    ctx.db
      .select({ taskId: modelUsage.taskId, costUsd: total(modelUsage.costUsd) })
      .from(modelUsage)
      .where(eq(modelUsage.epicId, epic.id))
      .groupBy(modelUsage.taskId),
    readRecovering(ctx, 'task', await unfinishedTaskIds(ctx, epic)),
  ]);
  const issueOf = new Map(rows.map(({ task }) => [task.id, task.issueNumber]));
  return rows.map(({ task, agent }) =>
    taskRow(ctx, epic, task, agent ? agentRefOf(agent) : null, {
      costUsd: costs.find((c) => c.taskId === task.id)?.costUsd ?? 0,
      dependsOn: task.dependsOn.flatMap((id) => issueOf.get(id) ?? []),
      recovering: recovering.get(task.id) ?? null,
    }),
  );
}

function taskRow(
  ctx: ReadContext,
  epic: Epic,
  task: Task,
  agent: TaskRow['agent'],
  extra: { costUsd: number; dependsOn: number[]; recovering: TaskRow['recovering'] },
): TaskRow {
  return {
    ...taskRefOf(task, epic, ctx.links),
    state: task.state,
    agent,
    branch: redactOptional(task.branch),
    prNumber: task.prNumber,
    prUrl:
      task.prNumber === null ? null : ctx.links.pull(epic.repoOwner, epic.repoName, task.prNumber),
    attempts: task.attempts,
    // Shown as issue numbers, which is how people know the tasks.
    dependsOn: extra.dependsOn,
    costUsd: extra.costUsd,
    blockedReason: redactOptional(task.blockedReason),
    failureReason: redactOptional(task.failureReason),
    recovering: extra.recovering,
    updatedAt: iso(task.updatedAt),
  };
}

/** Tasks still being worked on: a finished one recovers nothing. */
async function unfinishedTaskIds(ctx: ReadContext, epic: Epic): Promise<number[]> {
  const rows = await ctx.db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.epicId, epic.id), notInArray(tasks.state, ['COMPLETED', 'FAILED'])));
  return rows.map((row) => row.id);
}

/** Queued entries in merge order, then the most recently merged or removed. */
async function readMergeQueue(ctx: ReadContext, epic: Epic): Promise<MergeQueueRow[]> {
  const rows = await ctx.db
    .select({
      entry: mergeQueueEntries,
      task: { id: tasks.id, issueNumber: tasks.issueNumber, title: tasks.title },
    })
    .from(mergeQueueEntries)
    .innerJoin(tasks, eq(tasks.id, mergeQueueEntries.taskId))
    .where(eq(mergeQueueEntries.epicId, epic.id))
    .orderBy(
      sql`case when ${mergeQueueEntries.state} = 'queued' then 0 else 1 end`,
      sql`case when ${mergeQueueEntries.state} = 'queued' then ${mergeQueueEntries.position} else 0 end`,
      sql`coalesce(${mergeQueueEntries.mergedAt}, ${mergeQueueEntries.enqueuedAt}) desc`,
    );
  const queued = rows.filter((r) => r.entry.state === 'queued');
  const done = rows.filter((r) => r.entry.state !== 'queued').slice(0, epicLimits.mergedEntries);
  return [...queued, ...done].map(({ entry, task }) => ({
    position: entry.position,
    task: taskRefOf(task, epic, ctx.links),
    prNumber: entry.prNumber,
    prUrl: ctx.links.pull(epic.repoOwner, epic.repoName, entry.prNumber),
    state: entry.state,
    approvedSha: entry.approvedSha,
    reworkRounds: entry.reworkRounds,
    enqueuedAt: iso(entry.enqueuedAt),
    mergedAt: iso(entry.mergedAt),
  }));
}
