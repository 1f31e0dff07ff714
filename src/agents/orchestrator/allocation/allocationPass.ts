import { and, desc, eq, isNotNull, isNull } from 'drizzle-orm';
import { agents, epics, type Epic, type Task } from '../../../db/schema.js';
import { jobIds } from '../../../queues/jobs.js';
import { tellPeople } from '../escalation/tellPeople.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { recordDecision } from '../orchestratorAgent.js';
import { loadAllocationSnapshot } from './allocationSnapshot.js';
import type { BudgetVerdict } from './budget.js';
import { chooseTasksToStart } from './chooseTasksToStart.js';

export interface AllocationOutcome {
  pausedForBudget: number[];
  /** Tasks whose job was queued or woken because a slot is theirs. */
  dispatched: number[];
}

/**
 * Level-triggered allocation: pause epics that spent their budget, then make
 * sure every task that may start now has a job that will run now — queued if
 * it was lost (a crash, a re-queued attempt, a Redis restart), woken if it is
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
    if (await pauseForBudget(deps, epic, budget)) pausedForBudget.push(epicId);
  }
  const dispatched: number[] = [];
  for (const start of chooseTasksToStart(snapshot.input)) {
    const task = snapshot.tasks.get(start.taskId);
    const epic = snapshot.epics.get(start.epicId);
    if (task && epic && (await ensureImplementJob(deps, epic, task))) dispatched.push(task.id);
  }
  return { pausedForBudget, dispatched };
}

async function pauseForBudget(
  deps: OrchestratorDeps,
  epic: Epic,
  budget: Extract<BudgetVerdict, { reached: true }>,
): Promise<boolean> {
  if (epic.pausedAt === null) {
    const reason = `budget reached: the epic ${budget.message}`;
    const [paused] = await deps.db
      .update(epics)
      .set({ pausedAt: deps.now(), pausedReason: reason })
      .where(and(eq(epics.id, epic.id), isNull(epics.pausedAt)))
      .returning({ id: epics.id });
    if (!paused) return false;
    await recordDecision(deps.db, {
      installationId: epic.installationId,
      epicId: epic.id,
      decision: 'pause-epic:budget',
      reasoning: reason,
      context: { ...budget },
    });
  } else if (!epic.pausedReason?.startsWith('budget reached')) {
    return false; // paused by a person: they know already
  }
  await tellPeople(deps, {
    epic,
    dedupeKey: `budget-${epic.id}-${budget.limit}-${budget.budget}`,
    subject: 'Budget reached',
    body: `**Paused: budget reached.** This epic ${budget.message} (\`budget.${budget.limit}\` in \`.github/factory.yml\`). No new work starts; work already running finishes. Raise the budget and comment \`/factory resume\` to go on.`,
  });
  return epic.pausedAt === null;
}

/** The job id of one attempt of a task: a re-queued attempt is a new job, a repeated nudge is not. */
export function implementTaskJobId(taskId: number, attempt: number) {
  return jobIds.forEntity('implement-task', taskId, attempt);
}

async function ensureImplementJob(deps: OrchestratorDeps, epic: Epic, task: Task) {
  const attempt = task.attempts + 1;
  const jobId = implementTaskJobId(task.id, attempt);
  const existing = await deps.queues.queue('task').getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state === 'delayed') {
      await existing.promote().catch(() => undefined);
      return true;
    }
    // A job that ended while its task still waits to start must run again.
    if (state !== 'completed' && state !== 'failed') return false;
    await existing.remove();
  }
  const [previous] = await deps.db
    .select({ sessionId: agents.sessionId })
    .from(agents)
    .where(and(eq(agents.taskId, task.id), isNotNull(agents.sessionId)))
    .orderBy(desc(agents.id))
    .limit(1);
  await deps.queues.enqueue(
    'implement-task',
    {
      taskId: task.id,
      installationId: epic.installationId,
      owner: epic.repoOwner,
      repo: epic.repoName,
      attempt,
      ...(previous?.sessionId ? { resumeSessionId: previous.sessionId } : {}),
    },
    { jobId },
  );
  return true;
}
