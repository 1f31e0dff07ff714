import { desc, eq, sql } from 'drizzle-orm';
import { agentRuns, agents, modelUsage } from '../../db/schema.js';
import { clip, redactOptional, redactSecrets } from '../redact.js';
import {
  countRows,
  iso,
  selectAgentSummaries,
  total,
  usageColumns,
  sumUsage,
  type ReadContext,
} from './shared.js';
import { readTimeline } from './timeline.js';
import type { AgentDetail, RunRow } from './types.js';

export const agentLimits = { runs: 30, timeline: 40 };
const errorLimit = 1_000;

export async function readAgentDetail(
  ctx: ReadContext,
  agentId: number,
): Promise<AgentDetail | null> {
  const [[summary], [row]] = await Promise.all([
    selectAgentSummaries(ctx, eq(agents.id, agentId), 1),
    ctx.db
      .select({ createdAt: agents.createdAt, currentJobId: agents.currentJobId })
      .from(agents)
      .where(eq(agents.id, agentId)),
  ]);
  if (!summary || !row) return null;
  const [runs, totalUsage, byModel, timeline] = await Promise.all([
    readRuns(ctx, agentId),
    sumUsage(ctx.db, eq(modelUsage.agentId, agentId)),
    ctx.db
      .select({ model: modelUsage.model, calls: countRows(), ...usageColumns })
      .from(modelUsage)
      .where(eq(modelUsage.agentId, agentId))
      .groupBy(modelUsage.model)
      .orderBy(sql`sum(${modelUsage.costUsd}) desc`),
    readTimeline(ctx, { agentId }, agentLimits.timeline),
  ]);
  return {
    agent: {
      ...summary,
      createdAt: iso(row.createdAt),
      currentJobId: redactOptional(row.currentJobId),
    },
    runs,
    usage: {
      total: totalUsage,
      byModel: byModel.map((m) => ({ ...m, model: redactSecrets(m.model) })),
    },
    timeline,
  };
}

async function readRuns(ctx: ReadContext, agentId: number): Promise<RunRow[]> {
  const runs = await ctx.db
    .select({
      run: {
        id: agentRuns.id,
        purpose: agentRuns.purpose,
        model: agentRuns.model,
        status: agentRuns.status,
        numTurns: agentRuns.numTurns,
        error: agentRuns.error,
        startedAt: agentRuns.startedAt,
        finishedAt: agentRuns.finishedAt,
      },
    })
    .from(agentRuns)
    .where(eq(agentRuns.agentId, agentId))
    .orderBy(desc(agentRuns.startedAt), desc(agentRuns.id))
    .limit(agentLimits.runs);
  const costs = await ctx.db
    .select({ runId: modelUsage.runId, costUsd: total(modelUsage.costUsd) })
    .from(modelUsage)
    .where(eq(modelUsage.agentId, agentId))
    .groupBy(modelUsage.runId);
  // The prompt and raw result stay out: large, and not for a public page.
  return runs.map(({ run }) => ({
    id: run.id,
    purpose: redactSecrets(run.purpose),
    model: redactSecrets(run.model),
    status: run.status,
    numTurns: run.numTurns,
    error: run.error === null ? null : clip(redactSecrets(run.error), errorLimit),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    costUsd: costs.find((c) => c.runId === run.id)?.costUsd ?? 0,
  }));
}
