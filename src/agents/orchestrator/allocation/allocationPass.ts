import { startWaitingTasks } from '../../worker/dispatch.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { loadAllocationSnapshot } from './allocationSnapshot.js';
import { pauseForBudget } from './pauseForBudget.js';

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
    if (await pauseForBudget(deps, epic, budget, deps.now())) pausedForBudget.push(epicId);
  }
  // The slots themselves are handed out by the flow's dispatcher: one rule for every start.
  const { enqueued } = await startWaitingTasks(deps, { configOf: deps.repoConfigs });
  return { pausedForBudget, dispatched: enqueued };
}
