import type { JobProcessors } from '../../queues/workers.js';
import { runHealthCheck } from './health/healthCheck.js';
import type { OrchestratorDeps } from './orchestratorDeps.js';
import { runReconcile } from './reconcile/reconcilePass.js';

/** The orchestrator's jobs, for `buildProcessors`. */
export function orchestratorProcessors(deps: OrchestratorDeps): JobProcessors {
  return {
    'health-check': async () => summarise(await runHealthCheck(deps)),
    reconcile: async (payload, job) =>
      runReconcile(deps, {
        epicId: payload.epicId,
        passKey: (job.id ?? 'startup').replace(/[^A-Za-z0-9_-]/g, '-'),
      }),
  };
}

function summarise(report: Awaited<ReturnType<typeof runHealthCheck>>) {
  return {
    deadAgents: report.deadAgents,
    releasedLeases: report.releasedLeases,
    parkedEpics: report.parkedEpics,
    pausedForBudget: report.allocation.pausedForBudget,
    dispatched: report.allocation.dispatched,
  };
}
