import { runAllocation, type AllocationOutcome } from '../allocation/allocationPass.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { parkCrashLoops } from './parkCrashLoops.js';
import { recoverDeadAgents, type DeadAgentOutcome } from './recoverDeadAgents.js';
import { releaseDeadLeases, type ReleasedLease } from './releaseDeadLeases.js';

export interface HealthReport {
  deadAgents: DeadAgentOutcome[];
  releasedLeases: ReleasedLease[];
  parkedEpics: number[];
  allocation: AllocationOutcome;
}

/**
 * One health pass (the `health-check` job, every HEALTH_INTERVAL_SECONDS and
 * at start-up): bury dead agents and re-queue or fail their tasks, release
 * the leases dead holders kept, park crash
 * loops, then allocate free slots — in that order, so the slots of the dead
 * are handed out in the same pass.
 */
export async function runHealthCheck(deps: OrchestratorDeps): Promise<HealthReport> {
  const deadAgents = await recoverDeadAgents(deps);
  const releasedLeases = await releaseDeadLeases(deps);
  const parkedEpics = await parkCrashLoops(deps);
  const allocation = await runAllocation(deps);
  if (
    deadAgents.length + releasedLeases.length + parkedEpics.length + allocation.dispatched.length >
    0
  ) {
    deps.log.info(
      {
        dead: deadAgents.length,
        releasedLeases: releasedLeases.length,
        parked: parkedEpics,
        dispatched: allocation.dispatched,
        pausedForBudget: allocation.pausedForBudget,
      },
      'health check',
    );
  }
  return { deadAgents, releasedLeases, parkedEpics, allocation };
}
