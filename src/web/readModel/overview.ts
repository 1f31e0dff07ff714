import { ne } from 'drizzle-orm';
import { agents, agentStates, type AgentState } from '../../db/schema.js';
import type { QueueHealthReader } from '../queueHealth.js';
import { readEpicRows, summarizeEpics } from './epicSummaries.js';
import { countRows, selectAgentSummaries, sumUsage, type ReadContext } from './shared.js';
import { readTimeline } from './timeline.js';
import type { Overview } from './types.js';

export const overviewLimits = { epics: 100, agents: 50, recent: 15 };

export async function readOverview(
  ctx: ReadContext,
  queueHealth: QueueHealthReader,
): Promise<Overview> {
  const [epicRows, agentCounts, working, queues, usage, recent] = await Promise.all([
    readEpicRows(ctx, undefined, overviewLimits.epics),
    ctx.db.select({ state: agents.state, count: countRows() }).from(agents).groupBy(agents.state),
    selectAgentSummaries(ctx, ne(agents.state, 'IDLE'), overviewLimits.agents),
    queueHealth(),
    sumUsage(ctx.db),
    readTimeline(ctx, {}, overviewLimits.recent),
  ]);
  const counts = Object.fromEntries(agentStates.map((state) => [state, 0])) as Record<
    AgentState,
    number
  >;
  for (const row of agentCounts) counts[row.state] = row.count;
  return {
    epics: await summarizeEpics(ctx, epicRows),
    agents: { counts, working },
    queues,
    usage,
    recent,
  };
}
