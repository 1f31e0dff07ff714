/**
 * Which waiting tasks may start now. Limits: a global number of concurrent
 * agents, a number per installation and the epic's own `maxParallelTasks`.
 * Fairness: each free slot goes to the eligible epic with the fewest running
 * agents (so a large epic cannot crowd out a small one); among equals, to the
 * epic that was last given a slot longest ago (round-robin), so every epic
 * gets its turn however many tasks the others have queued.
 */

export interface AllocationLimits {
  global: number;
  perInstallation: number;
}

export interface EpicLoad {
  epicId: number;
  installationId: number;
  /** Agents of this epic that hold a slot now. */
  running: number;
  maxParallelTasks: number;
  /** Paused by a person or because its budget is spent: starts nothing. */
  paused: boolean;
  /** When this epic last got a slot; null when it never has. */
  lastStartedAt: Date | null;
}

export interface WaitingTask {
  taskId: number;
  epicId: number;
  /** The task's place in its epic's plan; lower starts first. */
  position: number;
  waitingSince: Date;
}

export interface AllocationInput {
  limits: AllocationLimits;
  epics: readonly EpicLoad[];
  /** Tasks ready to start (dependencies merged), of any epic. */
  waiting: readonly WaitingTask[];
}

export interface TaskStart {
  taskId: number;
  epicId: number;
}

export function chooseTasksToStart(input: AllocationInput): TaskStart[] {
  const epics = new Map(input.epics.map((epic) => [epic.epicId, { ...epic }]));
  const queues = waitingByEpic(input.waiting, epics);
  const perInstallation = new Map<number, number>();
  let runningTotal = 0;
  for (const epic of epics.values()) {
    runningTotal += epic.running;
    perInstallation.set(
      epic.installationId,
      (perInstallation.get(epic.installationId) ?? 0) + epic.running,
    );
  }

  const starts: TaskStart[] = [];
  /** Epics served in this allocation, by turn: they go to the back of the round. */
  const servedNow = new Map<number, number>();
  while (runningTotal < input.limits.global) {
    const eligible = [...queues.keys()]
      .map((epicId) => epics.get(epicId))
      .filter((epic): epic is EpicLoad => epic !== undefined)
      .filter(
        (epic) =>
          !epic.paused &&
          epic.running < epic.maxParallelTasks &&
          (perInstallation.get(epic.installationId) ?? 0) < input.limits.perInstallation,
      );
    const next = eligible.sort((a, b) => compareTurn(a, b, queues, servedNow))[0];
    if (!next) break;
    const queue = queues.get(next.epicId) ?? [];
    const task = queue.shift();
    if (!task) break;
    if (queue.length === 0) queues.delete(next.epicId);
    starts.push({ taskId: task.taskId, epicId: next.epicId });
    next.running += 1;
    servedNow.set(next.epicId, starts.length);
    runningTotal += 1;
    perInstallation.set(next.installationId, (perInstallation.get(next.installationId) ?? 0) + 1);
  }
  return starts;
}

function waitingByEpic(
  waiting: readonly WaitingTask[],
  epics: ReadonlyMap<number, EpicLoad>,
): Map<number, WaitingTask[]> {
  const queues = new Map<number, WaitingTask[]>();
  for (const task of waiting) {
    if (!epics.has(task.epicId)) continue;
    const queue = queues.get(task.epicId) ?? [];
    queue.push(task);
    queues.set(task.epicId, queue);
  }
  for (const queue of queues.values()) {
    queue.sort(
      (a, b) =>
        a.position - b.position ||
        a.waitingSince.getTime() - b.waitingSince.getTime() ||
        a.taskId - b.taskId,
    );
  }
  return queues;
}

function compareTurn(
  a: EpicLoad,
  b: EpicLoad,
  queues: ReadonlyMap<number, WaitingTask[]>,
  servedNow: ReadonlyMap<number, number>,
) {
  return (
    a.running - b.running ||
    (servedNow.get(a.epicId) ?? -1) - (servedNow.get(b.epicId) ?? -1) ||
    lastStart(a) - lastStart(b) ||
    oldestWait(queues.get(a.epicId)) - oldestWait(queues.get(b.epicId)) ||
    a.epicId - b.epicId
  );
}

/** An epic never started sorts first. */
function lastStart(epic: EpicLoad): number {
  return epic.lastStartedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
}

function oldestWait(queue: readonly WaitingTask[] | undefined): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const task of queue ?? []) oldest = Math.min(oldest, task.waitingSince.getTime());
  return oldest;
}

/** Why a task that was not chosen has to wait, for the log and the status page. */
export function whyWaiting(taskId: number, input: AllocationInput): string {
  const task = input.waiting.find((candidate) => candidate.taskId === taskId);
  if (!task) return 'the task is not ready to start (not pending, or waiting for dependencies)';
  const epic = input.epics.find((candidate) => candidate.epicId === task.epicId);
  if (!epic) return 'its epic is not active';
  if (epic.paused) return 'its epic is paused';
  if (epic.running >= epic.maxParallelTasks)
    return `its epic already runs ${epic.running} of ${epic.maxParallelTasks} parallel tasks`;
  const total = input.epics.reduce((sum, candidate) => sum + candidate.running, 0);
  if (total >= input.limits.global)
    return `all ${input.limits.global} agent slots are in use (MAX_CONCURRENT_AGENTS)`;
  const installation = input.epics
    .filter((candidate) => candidate.installationId === epic.installationId)
    .reduce((sum, candidate) => sum + candidate.running, 0);
  if (installation >= input.limits.perInstallation)
    return `the installation uses all ${input.limits.perInstallation} of its agent slots (MAX_AGENTS_PER_INSTALLATION)`;
  return 'other tasks are ahead of it in the fair order';
}
