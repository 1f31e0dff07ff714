import { startOrchestratorSchedules } from './agents/orchestrator/schedules.js';
import type { FactoryDeps } from './deps.js';

/**
 * Recurring work (health checks, reconciliation), registered by every worker
 * process at start-up. Registration must be idempotent — BullMQ job
 * schedulers (`queue.upsertJobScheduler`) are — so many workers starting
 * together still schedule each thing once. The orchestrator adds its
 * schedules here.
 */
export async function registerSchedules(deps: FactoryDeps): Promise<void> {
  await startOrchestratorSchedules(deps);
}
