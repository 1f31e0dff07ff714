import { and, eq, isNull } from 'drizzle-orm';
import { epics, type Epic } from '../../../db/schema.js';
import { startWaitingTasks } from '../../worker/dispatch.js';
import { tellPeople } from '../escalation/tellPeople.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { recordDecision } from '../orchestratorAgent.js';
import { loadAllocationSnapshot } from './allocationSnapshot.js';
import type { BudgetVerdict } from './budget.js';

export interface AllocationOutcome {
  pausedForBudget: number[];
  /** Tasks whose job was queued or woken because a slot is theirs. */
  dispatched: number[];
}

/**
 * Level-triggered allocation: pause epics that spent their budget, then run
 * the dispatcher (worker/dispatch.ts), which claims every task that may start
 * now by the fair rule and makes sure its job will run now — queued if it
 * was lost (a crash, a re-queued attempt, a Redis restart), woken if it is
 * sleeping after an earlier "no slot" answer.
 */
export async function runAllocation(deps: OrchestratorDeps): Promise<AllocationOutcome> {
  const limits = {
    global: deps.env.MAX_CONCURRENT_AGENTS,
    perInstallation: deps.env.MAX_AGENTS_PER_INSTALLATION,
  };
  const snapshot = await loadAllocationSnapshot(deps.db, deps.repoConfigs, limits);
  const pausedForBudget: number[] = [];
  for (const [epicId, budget] of snapshot.budgets) {
    const epic = snapshot.epics.get(epicId);
    if (!budget.reached || !epic) continue;
    if (await pauseForBudget(deps, epic, budget)) pausedForBudget.push(epicId);
  }
  // The slots themselves are handed out by the flow's dispatcher: one rule for every start.
  const { enqueued } = await startWaitingTasks(deps, { configOf: deps.repoConfigs });
  return { pausedForBudget, dispatched: enqueued };
}

async function pauseForBudget(
  deps: OrchestratorDeps,
  epic: Epic,
  budget: Extract<BudgetVerdict, { reached: true }>,
): Promise<boolean> {
  if (epic.pausedAt === null) {
    const reason = `budget reached: the epic ${budget.message}`;
    const [paused] = await deps.db
      .update(epics)
      .set({ pausedAt: deps.now(), pausedReason: reason })
      .where(and(eq(epics.id, epic.id), isNull(epics.pausedAt)))
      .returning({ id: epics.id });
    if (!paused) return false;
    await recordDecision(deps.db, {
      installationId: epic.installationId,
      epicId: epic.id,
      decision: 'pause-epic:budget',
      reasoning: reason,
      context: { ...budget },
    });
  } else if (!epic.pausedReason?.startsWith('budget reached')) {
    return false; // paused by a person: they know already
  }
  await tellPeople(deps, {
    epic,
    dedupeKey: `budget-${epic.id}-${budget.limit}-${budget.budget}`,
    subject: 'Budget reached',
    body: `**Paused: budget reached.** This epic ${budget.message} (\`budget.${budget.limit}\` in \`.github/factory.yml\`). No new work starts; work already running finishes. Raise the budget and comment \`/factory resume\` to go on.`,
  });
  return epic.pausedAt === null;
}
