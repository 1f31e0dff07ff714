import { and, eq, inArray, max, sql, sum } from 'drizzle-orm';
import type { Database } from '../../../db/connection.js';
import { decisionLog, epics, modelUsage, tasks, type Epic, type Task } from '../../../db/schema.js';
import type { RepoConfigSource } from '../repoConfigs.js';
import { checkBudget, type BudgetVerdict } from './budget.js';
import type { AllocationInput, AllocationLimits } from './chooseTasksToStart.js';

/** The decision recorded each time a task is given an agent slot; its time drives the round-robin. */
export const startTaskDecision = 'start-task';

export interface AllocationSnapshot {
  input: AllocationInput;
  epics: Map<number, Epic>;
  tasks: Map<number, Task>;
  budgets: Map<number, BudgetVerdict>;
}

/**
 * Reads what allocation decides on: epics in progress, the tasks holding a
 * slot (ASSIGNED or IN_PROGRESS: a worker runs for each), the tasks ready to
 * start (PENDING with every dependency COMPLETED), each epic's config and spend.
 */
export async function loadAllocationSnapshot(
  db: Database,
  repoConfigs: RepoConfigSource,
  limits: AllocationLimits,
): Promise<AllocationSnapshot> {
  const active = await db.select().from(epics).where(eq(epics.state, 'IN_PROGRESS'));
  const epicIds = active.map((epic) => epic.id);
  if (epicIds.length === 0) {
    return {
      input: { limits, epics: [], waiting: [] },
      epics: new Map(),
      tasks: new Map(),
      budgets: new Map(),
    };
  }
  const epicTasks = await db.select().from(tasks).where(inArray(tasks.epicId, epicIds));
  const lastStarts = await db
    .select({ epicId: decisionLog.epicId, at: max(decisionLog.createdAt) })
    .from(decisionLog)
    .where(and(eq(decisionLog.decision, startTaskDecision), inArray(decisionLog.epicId, epicIds)))
    .groupBy(decisionLog.epicId);
  const spend = await spendByEpic(db, epicIds);

  const completed = new Set(epicTasks.filter((t) => t.state === 'COMPLETED').map((t) => t.id));
  const budgets = new Map<number, BudgetVerdict>();
  const loads = [];
  for (const epic of active) {
    const config = await repoConfigs(epic);
    const budget = checkBudget(spend.get(epic.id) ?? { costUsd: 0, tokens: 0 }, config.budget);
    budgets.set(epic.id, budget);
    loads.push({
      epicId: epic.id,
      installationId: epic.installationId,
      running: epicTasks.filter(
        (t) => t.epicId === epic.id && (t.state === 'ASSIGNED' || t.state === 'IN_PROGRESS'),
      ).length,
      maxParallelTasks: config.maxParallelTasks,
      paused: epic.pausedAt !== null || budget.reached,
      lastStartedAt: lastStarts.find((row) => row.epicId === epic.id)?.at ?? null,
    });
  }
  const waiting = epicTasks
    .filter((t) => t.state === 'PENDING' && t.dependsOn.every((dep) => completed.has(dep)))
    .map((t) => ({
      taskId: t.id,
      epicId: t.epicId,
      position: t.position,
      waitingSince: t.createdAt,
    }));
  return {
    input: { limits, epics: loads, waiting },
    epics: new Map(active.map((epic) => [epic.id, epic])),
    tasks: new Map(epicTasks.map((task) => [task.id, task])),
    budgets,
  };
}

export async function spendByEpic(db: Database, epicIds: number[]) {
  const rows = await db
    .select({
      epicId: modelUsage.epicId,
      costUsd: sum(modelUsage.costUsd).mapWith(Number),
      tokens:
        sql<number>`coalesce(sum(${modelUsage.inputTokens} + ${modelUsage.outputTokens} + ${modelUsage.cacheReadTokens} + ${modelUsage.cacheCreationTokens}), 0)`.mapWith(
          Number,
        ),
    })
    .from(modelUsage)
    .where(inArray(modelUsage.epicId, epicIds))
    .groupBy(modelUsage.epicId);
  return new Map(
    rows.flatMap((row) =>
      row.epicId === null ? [] : [[row.epicId, { costUsd: row.costUsd ?? 0, tokens: row.tokens }]],
    ),
  );
}
