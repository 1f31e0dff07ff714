import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { RepoConfig } from '../../config/repoConfig.js';
import type { Database } from '../../db/connection.js';
import { epics, tasks, type Epic, type Task, type TaskState } from '../../db/schema.js';
import { transitionTask } from '../../db/tasks.js';
import type { FactoryDeps } from '../../deps.js';
import { jobIds } from '../../queues/jobs.js';
import { admitTasks, type AdmissionDecision, type WaitingTask } from './admission.js';

/**
 * Starts the waiting tasks that may start now, in order, within the limits.
 * Call it whenever room may have appeared: tasks were created, a task left
 * the running states (review, failed, retry), a dependency was merged, an
 * epic resumed. Admission and claim (PENDING → ASSIGNED, attempts + 1) happen
 * in one transaction under an advisory lock, so two processes never both fill
 * the last slot. Each claimed attempt gets one `implement-task` job whose id
 * names the attempt; re-enqueuing it is a no-op.
 */

export interface DispatchOptions {
  /** The repository config of an epic (its `maxParallelTasks`). */
  configOf(epic: Epic): Promise<RepoConfig>;
  /** Fairness across epics: reorders the waiting tasks (default: epic, then plan order). */
  order?: (waiting: WaitingRow[]) => WaitingRow[];
}

export interface WaitingRow {
  task: Task;
  epic: Epic;
}

export interface DispatchOutcome extends AdmissionDecision {
  enqueued: number[];
}

const admissionLockKey = 7_242_001;
const runningStates: TaskState[] = ['ASSIGNED', 'IN_PROGRESS'];

export function implementJobId(taskId: number, attempt: number): string {
  return jobIds.forEntity('implement-task', taskId, 'attempt', attempt);
}

export async function startWaitingTasks(
  deps: Pick<FactoryDeps, 'db' | 'env' | 'queues' | 'log'>,
  options: DispatchOptions,
): Promise<DispatchOutcome> {
  const waitingRows = await loadWaiting(deps.db);
  const limits = new Map<number, number>();
  for (const { epic } of waitingRows) {
    if (!limits.has(epic.id)) limits.set(epic.id, (await options.configOf(epic)).maxParallelTasks);
  }
  const ordered = options.order ? options.order(waitingRows) : waitingRows;

  const { decision, claimed } = await deps.db.transaction(async (tx) => {
    const db = tx as unknown as Database;
    await db.execute(sql`select pg_advisory_xact_lock(${admissionLockKey})`);
    const fresh = new Set((await loadWaiting(db)).map((row) => row.task.id));
    const waiting = ordered.filter((row) => fresh.has(row.task.id));
    const running = await db
      .select({ epicId: tasks.epicId, count: sql`count(*)`.mapWith(Number) })
      .from(tasks)
      .where(inArray(tasks.state, runningStates))
      .groupBy(tasks.epicId);
    const dependencyIds = [...new Set(waiting.flatMap((row) => row.task.dependsOn))];
    const dependencyStates =
      dependencyIds.length === 0
        ? []
        : await db
            .select({ id: tasks.id, state: tasks.state })
            .from(tasks)
            .where(inArray(tasks.id, dependencyIds));
    const decision = admitTasks({
      waiting: waiting.map(({ task }): WaitingTask => ({
        taskId: task.id,
        epicId: task.epicId,
        dependsOn: task.dependsOn,
      })),
      stateOf: new Map(dependencyStates.map((row) => [row.id, row.state])),
      runningTotal: running.reduce((sum, row) => sum + row.count, 0),
      runningByEpic: new Map(running.map((row) => [row.epicId, row.count])),
      globalLimit: deps.env.MAX_CONCURRENT_AGENTS,
      epicLimit: limits,
      activeEpics: new Set(
        waiting
          .filter(({ epic }) => epic.state === 'IN_PROGRESS' && !epic.pausedAt)
          .map(({ epic }) => epic.id),
      ),
    });
    const claimed: Task[] = [];
    for (const taskId of decision.start) {
      const task = waiting.find((row) => row.task.id === taskId)?.task;
      if (!task) continue;
      claimed.push(
        await transitionTask(db, taskId, 'ASSIGNED', {
          from: 'PENDING',
          patch: { attempts: task.attempts + 1 },
        }),
      );
    }
    for (const { taskId, reason } of decision.blocked) {
      await transitionTask(db, taskId, 'BLOCKED', { from: 'PENDING', reason });
    }
    return { decision, claimed };
  });

  const enqueued: number[] = [];
  for (const task of claimed) {
    const epic = waitingRows.find((row) => row.task.id === task.id)?.epic;
    if (!epic) continue;
    await deps.queues.enqueue(
      'implement-task',
      {
        taskId: task.id,
        installationId: epic.installationId,
        owner: epic.repoOwner,
        repo: epic.repoName,
        attempt: task.attempts,
      },
      { jobId: implementJobId(task.id, task.attempts) },
    );
    enqueued.push(task.id);
  }
  if (decision.start.length > 0 || decision.blocked.length > 0) {
    deps.log.info({ started: decision.start, blocked: decision.blocked }, 'tasks dispatched');
  }
  return { ...decision, enqueued };
}

/** PENDING tasks of unfinished epics, in epic then plan order. */
async function loadWaiting(db: Database): Promise<WaitingRow[]> {
  return db
    .select({ task: tasks, epic: epics })
    .from(tasks)
    .innerJoin(epics, eq(tasks.epicId, epics.id))
    .where(
      and(
        eq(tasks.state, 'PENDING'),
        inArray(epics.state, ['IN_PROGRESS', 'BLOCKED', 'PLANNING']),
        isNull(epics.completedAt),
      ),
    )
    .orderBy(asc(epics.id), asc(tasks.position), asc(tasks.id));
}
