import { randomUUID } from 'node:crypto';
import type { FactoryDeps } from '../../deps.js';
import { jobIds } from '../../queues/jobs.js';

export const healthSchedulerId = 'orchestrator-health-check';
export const reconcileSchedulerId = 'orchestrator-reconcile';

type ScheduleDeps = Pick<FactoryDeps, 'env' | 'queues' | 'log'>;

/**
 * The orchestrator runs on BullMQ job schedulers — one health check every
 * HEALTH_INTERVAL_SECONDS, one reconciliation every RECONCILE_INTERVAL_SECONDS —
 * so however many processes start, each pass runs once per interval. A start-up
 * pass of each is queued too: after a crash, recovery should not wait for the
 * next tick.
 */
export async function startOrchestratorSchedules(deps: ScheduleDeps) {
  await ensureOrchestratorSchedules(deps);
  // One start-up pass per process start; the id names this start, not a time.
  const start = randomUUID();
  await deps.queues.enqueue(
    'health-check',
    {},
    { jobId: jobIds.forEntity('health-check', 'startup', start) },
  );
  await deps.queues.enqueue(
    'reconcile',
    {},
    { jobId: jobIds.forEntity('reconcile', 'startup', start) },
  );
  deps.log.info(
    {
      healthEverySeconds: deps.env.HEALTH_INTERVAL_SECONDS,
      reconcileEverySeconds: deps.env.RECONCILE_INTERVAL_SECONDS,
    },
    'orchestrator schedules started',
  );
}

/**
 * Upserts both schedulers. Safe to repeat at any time and from every process:
 * an unchanged scheduler keeps its next run (BullMQ replaces its waiting job
 * with one at the same time), a changed interval is picked up, and one that
 * Redis lost (a restart without persistence, a flush) is back.
 */
export async function ensureOrchestratorSchedules(deps: ScheduleDeps): Promise<void> {
  const queue = deps.queues.queue('orchestrator');
  await queue.upsertJobScheduler(
    healthSchedulerId,
    { every: deps.env.HEALTH_INTERVAL_SECONDS * 1000 },
    { name: 'health-check', data: {} },
  );
  await queue.upsertJobScheduler(
    reconcileSchedulerId,
    { every: deps.env.RECONCILE_INTERVAL_SECONDS * 1000 },
    { name: 'reconcile', data: {} },
  );
}
