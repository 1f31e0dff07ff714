import { and, eq, gte, isNull, ne, or } from 'drizzle-orm';
import { agentStateMachine } from '../../../domain/agentStateMachine.js';
import { taskStateMachine } from '../../../domain/taskStateMachine.js';
import {
  agents,
  epics,
  mergeQueueEntries,
  tasks,
  type Agent,
  type Epic,
  type Task,
} from '../../../db/schema.js';
import { jobIds } from '../../../queues/jobs.js';
import { failOpenRuns } from '../../runtime/runRecords.js';
import { tellPeople } from '../escalation/tellPeople.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { recordDecision } from '../orchestratorAgent.js';
import { describeDeath, diagnoseAgent, type DeathCause } from './diagnoseAgent.js';
import { attemptOf, lookUpJob, type JobLook } from './jobLiveness.js';
import { decideRecovery, type RecoveryDecision } from './recoveryDecision.js';

export interface DeadAgentOutcome {
  agentId: number;
  taskId: number | null;
  cause: string;
  recovery: RecoveryDecision['kind'];
}

/**
 * Finds BUSY agents that died (no heartbeat, or their job stalled, failed or
 * vanished), marks them FAILED and decides what becomes of their task. A
 * re-queued task goes back to PENDING with its attempts counted; the
 * allocation pass then starts its next attempt within the limits.
 */
export async function recoverDeadAgents(deps: OrchestratorDeps): Promise<DeadAgentOutcome[]> {
  const now = deps.now();
  const busy = await deps.db
    .select()
    .from(agents)
    .where(and(eq(agents.state, 'BUSY'), ne(agents.kind, 'orchestrator')));
  const outcomes: DeadAgentOutcome[] = [];
  for (const agent of busy) {
    const look = await lookUpJob(deps.queues, agent.kind, agent.currentJobId);
    const cause = diagnoseAgent(
      {
        agentId: agent.id,
        kind: agent.kind,
        state: agent.state,
        lastHeartbeatAt: agent.lastHeartbeatAt,
        updatedAt: agent.updatedAt,
        job: look.liveness,
        jobFailure: look.failure,
      },
      now,
      deps.env.HEARTBEAT_TIMEOUT_SECONDS,
    );
    if (!cause) continue;
    const outcome = await buryAgent(deps, agent, cause, look);
    if (outcome) outcomes.push(outcome);
  }
  return outcomes;
}

async function buryAgent(
  deps: OrchestratorDeps,
  agent: Agent,
  cause: DeathCause,
  look: JobLook,
): Promise<DeadAgentOutcome | null> {
  const reason = describeDeath(cause);
  // Guarded on the job it was running: an agent that finished and moved on meanwhile is alive.
  const [buried] = await deps.db
    .update(agents)
    .set({ state: agentStateMachine.transition('BUSY', 'FAILED'), failureReason: reason })
    .where(
      and(
        eq(agents.id, agent.id),
        eq(agents.state, 'BUSY'),
        agent.currentJobId === null
          ? isNull(agents.currentJobId)
          : eq(agents.currentJobId, agent.currentJobId),
      ),
    )
    .returning({ id: agents.id });
  if (!buried) return null;
  deps.log.warn({ agent: agent.id, task: agent.taskId, reason }, 'agent found dead');
  await failOpenRuns(deps.db, agent.id, reason);
  if (look.liveness === 'pending' && look.job) {
    // Its job would run the dead attempt again next to the new one.
    await look.job.remove().catch(() => undefined);
  }

  const task = agent.taskId === null ? undefined : await findTask(deps, agent.taskId);
  const reworkRound = task ? await reworkRoundOf(deps, task.id) : 0;
  const epic = await findEpic(deps, task?.epicId ?? agent.epicId);
  const config = epic ? await deps.repoConfigs(epic) : undefined;
  const decision = decideRecovery({
    task: task ? { ...task, reworkRound } : null,
    jobAttempt: attemptOf(look.job),
    sessionId: agent.sessionId,
    maxAttempts: config?.maxAttempts ?? 1,
    cause: reason,
  });
  if (
    decision.kind === 'hand-to-merge-queue' &&
    reworkRound > 0 &&
    look.job &&
    (look.liveness === 'failed' || look.liveness === 'finished')
  ) {
    // The queue adds the round's job again under the same id, which must be free for that.
    await look.job.remove().catch(() => undefined);
  }
  if (epic) {
    await recordDecision(deps.db, {
      installationId: epic.installationId,
      epicId: epic.id,
      taskId: task?.id,
      decision: `agent-dead:${decision.kind}`,
      reasoning: decision.reason,
      context: { agentId: agent.id, jobId: agent.currentJobId, cause },
    });
    if (task) await applyRecovery(deps, epic, task, agent, decision);
  }
  return { agentId: agent.id, taskId: task?.id ?? null, cause: reason, recovery: decision.kind };
}

async function applyRecovery(
  deps: OrchestratorDeps,
  epic: Epic,
  task: Task,
  agent: Agent,
  decision: RecoveryDecision,
) {
  const ref = { installationId: epic.installationId, owner: epic.repoOwner, repo: epic.repoName };
  const stillTheirs = and(
    eq(tasks.id, task.id),
    eq(tasks.state, task.state),
    or(isNull(tasks.assignedAgentId), eq(tasks.assignedAgentId, agent.id)),
  );
  switch (decision.kind) {
    case 'requeue':
      await deps.db
        .update(tasks)
        .set({
          state: taskStateMachine.transition(task.state, 'PENDING'),
          // Attempts used so far; the claim of the next attempt counts it.
          attempts: decision.attempt - 1,
          assignedAgentId: null,
          failureReason: decision.reason,
        })
        .where(stillTheirs);
      return;
    case 'fail': {
      const [failed] = await deps.db
        .update(tasks)
        .set({
          state: taskStateMachine.transition(task.state, 'FAILED'),
          assignedAgentId: null,
          failureReason: decision.reason,
        })
        .where(stillTheirs)
        .returning({ id: tasks.id });
      if (!failed) return;
      await tellPeople(deps, {
        epic,
        issueNumber: task.issueNumber,
        taskId: task.id,
        dedupeKey: `task-failed-${task.id}-${Math.max(task.attempts, 1)}`,
        subject: 'Task failed',
        body: `**This task failed.** ${decision.reason}. Its worktree is kept for inspection; comment \`/factory retry\` to try again.`,
      });
      await deps.queues.enqueue(
        'update-progress',
        { epicId: epic.id, ...ref },
        { jobId: jobIds.forEntity('update-progress', epic.id, 'task', task.id, 'failed') },
      );
      return;
    }
    case 'hand-to-merge-queue':
      await deps.queues.enqueue(
        'advance-merge-queue',
        { epicId: epic.id, ...ref },
        { jobId: jobIds.forEntity('advance-merge-queue', epic.id, 'agent', agent.id, 'died') },
      );
      return;
    case 'release-agent-only':
      return;
  }
}

/** The rework round the task's queued PR was last sent back for; 0 when none. */
async function reworkRoundOf(deps: OrchestratorDeps, taskId: number): Promise<number> {
  const [entry] = await deps.db
    .select({ rounds: mergeQueueEntries.reworkRounds })
    .from(mergeQueueEntries)
    .where(and(eq(mergeQueueEntries.taskId, taskId), eq(mergeQueueEntries.state, 'queued')));
  return entry?.rounds ?? 0;
}

async function findTask(deps: OrchestratorDeps, taskId: number) {
  const [task] = await deps.db.select().from(tasks).where(eq(tasks.id, taskId));
  return task;
}

async function findEpic(deps: OrchestratorDeps, epicId: number | null | undefined) {
  if (epicId === null || epicId === undefined) return undefined;
  const [epic] = await deps.db.select().from(epics).where(eq(epics.id, epicId));
  return epic;
}

/** Agents that failed since `since`, with their epic and task: the material of crash-loop detection. */
export async function recentFailures(deps: OrchestratorDeps, since: Date) {
  const rows = await deps.db
    .select({
      agentId: agents.id,
      taskId: agents.taskId,
      agentEpicId: agents.epicId,
      taskEpicId: tasks.epicId,
      at: agents.updatedAt,
    })
    .from(agents)
    .leftJoin(tasks, eq(tasks.id, agents.taskId))
    .where(and(eq(agents.state, 'FAILED'), gte(agents.updatedAt, since)));
  return rows.flatMap((row) => {
    const epicId = row.agentEpicId ?? row.taskEpicId;
    const subject = row.taskId === null ? `agent:${row.agentId}` : `task:${row.taskId}`;
    return epicId === null ? [] : [{ epicId, at: row.at, subject }];
  });
}
