import { eq, sql } from 'drizzle-orm';
import type { Env } from '../../config/env.js';
import type { Database } from '../../db/connection.js';
import { epics, type Task } from '../../db/schema.js';
import { transitionTask } from '../../db/tasks.js';
import {
  loadAllocationSnapshot,
  startTaskDecision,
  type AllocationSnapshot,
} from '../orchestrator/allocation/allocationSnapshot.js';
import { recordDecision } from '../orchestrator/orchestratorAgent.js';
import type { RepoConfigSource } from '../orchestrator/repoConfigs.js';
import { decideDispatch, type StartOrder } from './admission.js';

/**
 * The one place a task is given an agent slot. Under a lock every start
 * takes, it reads the allocation snapshot, decides with `decideDispatch`
 * (the orchestrator's fair order by default), blocks the tasks whose
 * dependency failed, and claims the starts: PENDING → ASSIGNED with the next
 * attempt counted, and a `start-task` decision whose time drives the
 * round-robin. Two processes never hand out the same last slot.
 *
 * `only` restricts the claim to one task's next attempt: the gate of a job
 * that was queued before its task was claimed.
 */

export interface ClaimOptions {
  configOf: RepoConfigSource;
  order?: StartOrder;
  only?: { taskId: number; attempt: number };
}

export interface ClaimResult {
  claimed: Task[];
  blocked: { taskId: number; reason: string }[];
  snapshot: AllocationSnapshot;
}

export async function claimStarts(
  deps: { db: Database; env: Pick<Env, 'MAX_CONCURRENT_AGENTS' | 'MAX_AGENTS_PER_INSTALLATION'> },
  options: ClaimOptions,
): Promise<ClaimResult> {
  const limits = {
    global: deps.env.MAX_CONCURRENT_AGENTS,
    perInstallation: deps.env.MAX_AGENTS_PER_INSTALLATION,
  };
  // Configs come from GitHub: read them before taking the lock (the source caches them).
  const active = await deps.db.select().from(epics).where(eq(epics.state, 'IN_PROGRESS'));
  for (const epic of active) await options.configOf(epic);

  return deps.db.transaction(async (tx) => {
    const db = tx as unknown as Database;
    await db.execute(sql`select pg_advisory_xact_lock(hashtext('factory:allocation'))`);
    const snapshot = await loadAllocationSnapshot(db, options.configOf, limits);
    const allTasks = [...snapshot.tasks.values()];
    const decision = decideDispatch(
      {
        allocation: snapshot.input,
        pending: allTasks
          .filter((task) => task.state === 'PENDING')
          .map((task) => ({ taskId: task.id, epicId: task.epicId, dependsOn: task.dependsOn })),
        stateOf: new Map(allTasks.map((task) => [task.id, task.state])),
      },
      options.order,
    );
    const { only } = options;
    const starts = only ? decision.start.filter((s) => s.taskId === only.taskId) : decision.start;
    const claimed: Task[] = [];
    for (const start of starts) {
      const task = snapshot.tasks.get(start.taskId);
      const epic = snapshot.epics.get(start.epicId);
      if (!task || !epic) continue;
      const attempt = task.attempts + 1;
      if (only && only.attempt !== attempt) continue;
      claimed.push(
        await transitionTask(db, task.id, 'ASSIGNED', {
          from: 'PENDING',
          patch: { attempts: attempt },
        }),
      );
      const load = snapshot.input.epics.find((candidate) => candidate.epicId === epic.id);
      await recordDecision(db, {
        installationId: epic.installationId,
        epicId: epic.id,
        taskId: task.id,
        decision: startTaskDecision,
        reasoning: `attempt ${attempt}: a slot is free and it is this epic's turn (${load?.running ?? 0} of its tasks running)`,
        context: {
          attempt,
          limits,
          running: snapshot.input.epics.map((e) => [e.epicId, e.running]),
        },
      });
    }
    for (const { taskId, reason } of decision.blocked) {
      await transitionTask(db, taskId, 'BLOCKED', { from: 'PENDING', reason });
    }
    return { claimed, blocked: decision.blocked, snapshot };
  });
}
