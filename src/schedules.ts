import {
  ensureOrchestratorSchedules,
  startOrchestratorSchedules,
} from './agents/orchestrator/schedules.js';
import type { FactoryDeps } from './deps.js';
import { drainOutbox } from './intake/drainOutbox.js';

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

export interface Upkeep {
  /** Runs both chores now (tests, and the first look at start-up). */
  runNow(): Promise<void>;
  stop(): void;
}

export interface UpkeepOptions {
  /** How often the schedules are upserted again; default HEALTH_INTERVAL_SECONDS. */
  schedulesEveryMs?: number;
  /** How often the outbox is looked at; default OUTBOX_DRAIN_INTERVAL_SECONDS. */
  outboxEveryMs?: number;
}

/**
 * What a worker keeps true for as long as it runs, because Redis may lose it
 * or may have refused it: the schedules exist (upserted again whenever the
 * Redis connection becomes ready and every health interval, so a Redis that
 * lost its data has them back within one interval), and the deliveries the
 * web process kept in the outbox while Redis was down reach the queue (on
 * ready, and every few seconds: the web process's Redis may have failed while
 * this worker's did not). A failure is logged and tried again at the next
 * tick; it never stops the process.
 */
export function startUpkeep(
  deps: Pick<FactoryDeps, 'env' | 'db' | 'queues' | 'log'>,
  options: UpkeepOptions = {},
): Upkeep {
  const log = deps.log.child({ name: 'upkeep' });
  let schedulesFailing = false;
  const ensureSchedules = async () => {
    try {
      await ensureOrchestratorSchedules(deps);
      if (schedulesFailing) log.info('orchestrator schedules ensured again');
      schedulesFailing = false;
    } catch (error) {
      if (!schedulesFailing)
        log.warn({ err: message(error) }, 'could not ensure the schedules; trying again');
      schedulesFailing = true;
    }
  };
  let draining: Promise<void> | undefined;
  const drain = () => {
    // One drain at a time in this process; others may drain too (job ids keep it once).
    draining ??= drainOutbox(deps)
      .then(() => undefined)
      .catch((error: unknown) => log.warn({ err: message(error) }, 'could not drain the outbox'))
      .finally(() => {
        draining = undefined;
      });
    return draining;
  };
  const both = async () => {
    await Promise.all([ensureSchedules(), drain()]);
  };
  const stopListening = deps.queues.onReady(() => void both());
  const timers = [
    setInterval(
      () => void ensureSchedules(),
      options.schedulesEveryMs ?? deps.env.HEALTH_INTERVAL_SECONDS * 1000,
    ),
    setInterval(
      () => void drain(),
      options.outboxEveryMs ?? deps.env.OUTBOX_DRAIN_INTERVAL_SECONDS * 1000,
    ),
  ];
  for (const timer of timers) timer.unref();
  return {
    runNow: both,
    stop() {
      stopListening();
      for (const timer of timers) clearInterval(timer);
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}
