import { and, asc, eq, inArray } from 'drizzle-orm';
import { epics, tasks, type Epic } from '../../../db/schema.js';
import { epicQueue } from '../../../mergeQueue/entries.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { applyRepair } from './applyRepair.js';
import { redisReconcileStore, type ReconcileStore } from './conditionalGet.js';
import { diffEpic, pullsToWatch, type Repair } from './diffEpic.js';
import { CallBudget, readEpicFromGitHub } from './readEpicFromGitHub.js';

export interface ReconcileOptions {
  /** Only this epic (a targeted pass); all active epics otherwise. */
  epicId?: number;
  /** Unique per pass (the job id), for the job ids of repairs that may recur. */
  passKey: string;
  store?: ReconcileStore;
  /** How long a finished check is left to its own webhook; default `checksSettleMs`. */
  checksSettleMs?: number;
}

/**
 * A check's webhook normally wakes the queue within seconds; a minute later
 * it was lost (or the app was down). Also covers clock skew with GitHub.
 */
export const checksSettleMs = 60_000;

export interface ReconcileReport {
  epicsChecked: number[];
  repairs: { epicId: number; repair: Repair }[];
  apiCalls: number;
  /** Epics left for the next pass because this one ran out of API calls. */
  deferred: number[];
}

/**
 * One reconciliation pass (the `reconcile` job): each active epic is read
 * from GitHub (conditionally, within RECONCILE_MAX_API_CALLS) and diffed with
 * the records; each difference is repaired. Epics are visited in a rotating
 * order that resumes after the last one checked, so a budget smaller than the
 * work still reaches every epic in turn.
 */
export async function runReconcile(
  deps: OrchestratorDeps,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const store = options.store ?? redisReconcileStore(deps.queues);
  const budget = new CallBudget(deps.env.RECONCILE_MAX_API_CALLS);
  const cursor = await readCursor(store);
  const active = await deps.db
    .select()
    .from(epics)
    .where(
      and(
        inArray(epics.state, ['PLANNING', 'IN_PROGRESS', 'BLOCKED']),
        options.epicId === undefined ? undefined : eq(epics.id, options.epicId),
      ),
    )
    .orderBy(asc(epics.id));
  const ordered = [...active.filter((e) => e.id > cursor), ...active.filter((e) => e.id <= cursor)];

  const report: ReconcileReport = { epicsChecked: [], repairs: [], apiCalls: 0, deferred: [] };
  for (const [index, epic] of ordered.entries()) {
    const done = await reconcileEpic(deps, epic, store, budget, options, report);
    if (!done) {
      report.deferred = ordered.slice(index).map((e) => e.id);
      break;
    }
    report.epicsChecked.push(epic.id);
    if (options.epicId === undefined) await store.set(cursorKey, String(epic.id));
  }
  if (report.deferred.length === 0 && options.epicId === undefined) await store.set(cursorKey, '0');
  report.apiCalls = deps.env.RECONCILE_MAX_API_CALLS - budget.left;
  return report;
}

async function reconcileEpic(
  deps: OrchestratorDeps,
  epic: Epic,
  store: ReconcileStore,
  budget: CallBudget,
  options: ReconcileOptions,
  report: ReconcileReport,
): Promise<boolean> {
  const { passKey } = options;
  const epicTasks = await deps.db.select().from(tasks).where(eq(tasks.epicId, epic.id));
  const records = epicTasks.map((task) => ({
    taskId: task.id,
    issueNumber: task.issueNumber,
    issueId: task.issueId,
    state: task.state,
    prNumber: task.prNumber,
    headSha: task.headSha,
    blockedReason: task.blockedReason,
  }));
  const head = (await epicQueue(deps.db, epic.id)).head;
  const octokit = await deps.github.forInstallation(epic.installationId);
  const config = await deps.repoConfigs(epic);
  const { view, complete } = await readEpicFromGitHub(
    octokit,
    store,
    budget,
    epic,
    pullsToWatch(records),
    config.labels.epic,
    head?.entry.prNumber,
  );
  // Repairs from a partial view are still right: what was not read is not diffed.
  const repairs = diffEpic(
    {
      epicId: epic.id,
      state: epic.state,
      issueNumber: epic.issueNumber,
      ...(head ? { queueHead: { taskId: head.task.id, lookedAt: head.entry.lastStepAt } } : {}),
    },
    records,
    view,
    config.labels,
    { now: new Date(), settleMs: options.checksSettleMs ?? checksSettleMs },
  );
  const context = {
    epic,
    tasks: new Map(epicTasks.map((task) => [task.id, task])),
    config,
    octokit,
    passKey,
  };
  for (const repair of repairs) {
    try {
      await applyRepair(deps, context, repair);
      report.repairs.push({ epicId: epic.id, repair });
    } catch (error) {
      // One failed repair must not stop the others; the next pass sees the difference again.
      deps.log.error({ epic: epic.id, repair: repair.kind, err: String(error) }, 'repair failed');
    }
  }
  return complete;
}

const cursorKey = 'reconcile-cursor';

async function readCursor(store: ReconcileStore): Promise<number> {
  const raw = await store.get(cursorKey);
  const value = raw === null ? 0 : Number(raw);
  return Number.isFinite(value) ? value : 0;
}
