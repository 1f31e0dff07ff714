import { and, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import {
  epics,
  escalations,
  modelUsage,
  tasks,
  type Epic,
  type TaskState,
} from '../../db/schema.js';
import { redactOptional, redactSecrets } from '../redact.js';
import { readRecovering } from './recovering.js';
import { countRows, iso, total, type ReadContext } from './shared.js';
import type { EpicSummary } from './types.js';

/** Epics still being worked on come first; then the most recently changed. */
const activeFirst = sql`case when ${epics.state} in ('PLANNING', 'IN_PROGRESS', 'BLOCKED') then 0 else 1 end`;

export async function readEpicRows(
  ctx: ReadContext,
  where: SQL | undefined,
  limit: number,
): Promise<Epic[]> {
  return ctx.db
    .select()
    .from(epics)
    .where(where)
    .orderBy(activeFirst, sql`${epics.updatedAt} desc`, sql`${epics.id} desc`)
    .limit(limit);
}

/** Task counts, cost and open escalations of each epic, in three grouped queries. */
export async function summarizeEpics(ctx: ReadContext, rows: Epic[]): Promise<EpicSummary[]> {
  const ids = rows.map((row) => row.id);
  if (ids.length === 0) return [];
  const active = rows.filter((row) => !finished(row)).map((row) => row.id);
  const [taskCounts, costs, open, recovering] = await Promise.all([
    ctx.db
      .select({ epicId: tasks.epicId, state: tasks.state, count: countRows() })
      .from(tasks)
      .where(inArray(tasks.epicId, ids))
      .groupBy(tasks.epicId, tasks.state),
    ctx.db
      .select({ epicId: modelUsage.epicId, costUsd: total(modelUsage.costUsd) })
      .from(modelUsage)
      .where(inArray(modelUsage.epicId, ids))
      .groupBy(modelUsage.epicId),
    ctx.db
      .select({ epicId: escalations.epicId, count: countRows() })
      .from(escalations)
      .where(and(inArray(escalations.epicId, ids), isNull(escalations.resolvedAt)))
      .groupBy(escalations.epicId),
    readRecovering(ctx, 'epic', active),
  ]);
  return rows.map((row) => {
    const byState: Partial<Record<TaskState, number>> = {};
    for (const count of taskCounts.filter((c) => c.epicId === row.id)) {
      byState[count.state] = count.count;
    }
    const totalTasks = Object.values(byState).reduce((sum, n) => sum + n, 0);
    return {
      id: row.id,
      repo: {
        owner: row.repoOwner,
        name: row.repoName,
        url: ctx.links.repo(row.repoOwner, row.repoName),
      },
      issueNumber: row.issueNumber,
      issueUrl: ctx.links.issue(row.repoOwner, row.repoName, row.issueNumber),
      title: redactSecrets(row.title),
      state: row.state,
      paused: row.pausedAt !== null,
      pausedReason: redactOptional(row.pausedReason),
      blockedReason: redactOptional(row.blockedReason),
      tasks: { total: totalTasks, completed: byState.COMPLETED ?? 0, byState },
      costUsd: costs.find((c) => c.epicId === row.id)?.costUsd ?? 0,
      openEscalations: open.find((c) => c.epicId === row.id)?.count ?? 0,
      recovering: recovering.get(row.id) ?? null,
      createdAt: iso(row.createdAt),
      updatedAt: iso(row.updatedAt),
      completedAt: iso(row.completedAt),
    };
  });
}

/** A finished epic recovers nothing, whatever its last decision was. */
function finished(epic: Epic): boolean {
  return epic.state === 'COMPLETED' || epic.state === 'CANCELLED';
}
