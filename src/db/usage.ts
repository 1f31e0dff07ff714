import { eq, sql } from 'drizzle-orm';
import type { Database } from './connection.js';
import { modelUsage, type ModelUsage } from './schema.js';

type NewModelUsage = typeof modelUsage.$inferInsert;

export type UsageInput = Pick<NewModelUsage, 'model'> &
  Partial<
    Pick<
      NewModelUsage,
      | 'agentId'
      | 'runId'
      | 'epicId'
      | 'taskId'
      | 'installationId'
      | 'inputTokens'
      | 'outputTokens'
      | 'cacheReadTokens'
      | 'cacheCreationTokens'
      | 'costUsd'
    >
  >;

export async function recordUsage(db: Database, usage: UsageInput): Promise<ModelUsage> {
  const [row] = await db.insert(modelUsage).values(usage).returning();
  if (!row) throw new Error('Usage insert returned nothing');
  return row;
}

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  /** All tokens of every kind, what a token budget counts. */
  totalTokens: number;
  costUsd: number;
  calls: number;
}

export const noUsage: UsageTotals = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
  totalTokens: 0,
  costUsd: 0,
  calls: 0,
};

// PostgreSQL sums integers as bigint (a string in node-postgres): cast back to numbers.
const totals = {
  inputTokens: sql`coalesce(sum(${modelUsage.inputTokens}), 0)`.mapWith(Number),
  outputTokens: sql`coalesce(sum(${modelUsage.outputTokens}), 0)`.mapWith(Number),
  cacheReadTokens: sql`coalesce(sum(${modelUsage.cacheReadTokens}), 0)`.mapWith(Number),
  cacheCreationTokens: sql`coalesce(sum(${modelUsage.cacheCreationTokens}), 0)`.mapWith(Number),
  costUsd: sql`coalesce(sum(${modelUsage.costUsd}), 0)`.mapWith(Number),
  calls: sql`count(*)`.mapWith(Number),
};

function withTotal(row: Omit<UsageTotals, 'totalTokens'>): UsageTotals {
  const totalTokens =
    row.inputTokens + row.outputTokens + row.cacheReadTokens + row.cacheCreationTokens;
  return { ...row, totalTokens };
}

/** Everything spent on the epic: planning, reviews and all its tasks. */
export async function epicCost(db: Database, epicId: number): Promise<UsageTotals> {
  const [row] = await db.select(totals).from(modelUsage).where(eq(modelUsage.epicId, epicId));
  return row ? withTotal(row) : noUsage;
}

export async function taskCost(db: Database, taskId: number): Promise<UsageTotals> {
  const [row] = await db.select(totals).from(modelUsage).where(eq(modelUsage.taskId, taskId));
  return row ? withTotal(row) : noUsage;
}

/** The epic's spending per task (for the progress comment); tasks without usage are absent. */
export async function taskCostsOfEpic(
  db: Database,
  epicId: number,
): Promise<Map<number, UsageTotals>> {
  const rows = await db
    .select({ taskId: modelUsage.taskId, ...totals })
    .from(modelUsage)
    .where(eq(modelUsage.epicId, epicId))
    .groupBy(modelUsage.taskId);
  const costs = new Map<number, UsageTotals>();
  for (const { taskId, ...row } of rows) if (taskId !== null) costs.set(taskId, withTotal(row));
  return costs;
}
