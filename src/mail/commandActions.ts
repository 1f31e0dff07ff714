import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import { loadRepoConfig } from '../config/loadRepoConfig.js';
import { listAgents, transitionAgent } from '../db/agents.js';
import { findEpic, transitionEpic, updateEpic } from '../db/epics.js';
import { epics, type Epic, type Task } from '../db/schema.js';
import { findTask, transitionTask } from '../db/tasks.js';
import { resolveEscalations } from '../agents/orchestrator/escalation/escalate.js';
import { setStateLabel, type StateLabelKey } from '../github/labels.js';
import { epicStateLabel, taskStateLabel } from '../github/stateLabels.js';
import { jobIds } from '../queues/jobs.js';
import type { CommandAction } from './commandDecision.js';
import type { CommentInHand } from './mailContext.js';

/**
 * Carries out a command through the records and the queues. Every step can run
 * twice (a retried job): state moves check where the record already is, and
 * jobs are enqueued under ids derived from the epic, task or command comment.
 */
export async function carryOut(comment: CommentInHand, action: CommandAction): Promise<void> {
  switch (action.kind) {
    case 'status':
      return;
    case 'approve-plan':
      return approvePlan(comment, action.epic);
    case 'retry-task':
      return retryTask(comment, action.task);
    case 'cancel-epic':
      return cancelEpic(comment, action.epic);
    case 'cancel-task':
      return cancelTask(comment, action.task);
    case 'pause-epic':
      return pauseEpic(comment, action.epic);
    case 'resume-epic':
      return resumeEpic(comment, action.epic);
    case 'replan-epic':
      return replanEpic(comment, action.epic);
  }
}

/** What Factory answers for a command it carries out. */
export function answerFor(action: Exclude<CommandAction, { kind: 'status' }>, speaker: string) {
  switch (action.kind) {
    case 'approve-plan':
      return `Plan approved by @${speaker}. Creating the sub-issues now; each task will be linked here.`;
    case 'retry-task':
      return `Task #${action.task.issueNumber} goes back to the queue (it was ${action.task.state}); a worker will pick it up as soon as there is room.`;
    case 'cancel-epic':
      return `Cancelling epic #${action.epic.issueNumber} as @${speaker} asked: running workers are stopped and no new work starts.`;
    case 'cancel-task':
      return `Stopped the work on task #${action.task.issueNumber} as @${speaker} asked. The task is now BLOCKED; \`/factory retry\` starts it again.`;
    case 'pause-epic':
      return `Epic #${action.epic.issueNumber} is paused: no new task starts until \`/factory resume\`. Work already running finishes.`;
    case 'resume-epic':
      return `Epic #${action.epic.issueNumber} resumes: waiting tasks start as soon as there is room.`;
    case 'replan-epic':
      return `Planning epic #${action.epic.issueNumber} again. The new plan will be posted here.`;
  }
}

async function approvePlan(comment: CommentInHand, epic: Epic) {
  const { deps, payload, speaker } = comment;
  await deps.db
    .update(epics)
    .set({ planApprovedAt: new Date(), planApprovedBy: speaker })
    .where(and(eq(epics.id, epic.id), isNull(epics.planApprovedAt)));
  await deps.queues.enqueue(
    'create-sub-issues',
    { epicId: epic.id, ...repoRef(payload) },
    { jobId: jobIds.forEntity('create-sub-issues', epic.id) },
  );
}

async function retryTask(comment: CommentInHand, task: Task) {
  const { deps, options } = comment;
  const now = await findTask(deps.db, task.id);
  if (now && (now.state === 'FAILED' || now.state === 'BLOCKED')) {
    const moved = await transitionTask(deps.db, task.id, 'PENDING', {
      from: ['FAILED', 'BLOCKED'],
      patch: { failureReason: null },
    });
    await showTaskState(comment, moved);
  }
  await options.startWaitingTasks();
}

async function cancelEpic(comment: CommentInHand, epic: Epic) {
  const { deps, payload, speaker } = comment;
  await deps.queues.enqueue(
    'cancel-epic',
    {
      epicId: epic.id,
      ...repoRef(payload),
      reason: `cancelled by @${speaker} with /factory cancel`,
    },
    { jobId: jobIds.forEntity('cancel-epic', epic.id) },
  );
}

/**
 * The task is marked BLOCKED before its worker is stopped, so the worker's job,
 * seeing its run cancelled, finds the task no longer its own and does not retry.
 */
async function cancelTask(comment: CommentInHand, task: Task) {
  const { deps, options, speaker } = comment;
  const reason = `cancelled by @${speaker} with /factory cancel`;
  let current = (await findTask(deps.db, task.id)) ?? task;
  if (['PENDING', 'ASSIGNED', 'IN_PROGRESS', 'REVIEW'].includes(current.state)) {
    current = await transitionTask(deps.db, task.id, 'BLOCKED', {
      from: ['PENDING', 'ASSIGNED', 'IN_PROGRESS', 'REVIEW'],
      reason,
    });
  }
  const workers = await listAgents(deps.db, { taskId: task.id, states: ['BUSY', 'WAITING'] });
  for (const worker of workers) {
    if (worker.state === 'BUSY') await options.cancelAgentRun(worker.id, reason);
    // A worker waiting for an answer has no run to stop; it just stops waiting.
    else
      await transitionAgent(deps.db, worker.id, 'IDLE', { from: 'WAITING' }).catch(() => undefined);
  }
  await showTaskState(comment, current);
}

async function pauseEpic(comment: CommentInHand, epic: Epic) {
  await comment.deps.db
    .update(epics)
    .set({ pausedAt: new Date(), pausedReason: `paused by @${comment.speaker}` })
    .where(and(eq(epics.id, epic.id), isNull(epics.pausedAt)));
}

/**
 * Resume is a person saying "go on": the pause ends, a parked (BLOCKED) epic
 * goes back to where its plan stands, and the orchestrator's escalations are
 * resolved, so the status page stops flagging them and the epic's blocked
 * label is replaced by its state's label. A task parked BLOCKED keeps its
 * own label until `/factory retry` on it.
 */
async function resumeEpic(comment: CommentInHand, epic: Epic) {
  const { deps, payload } = comment;
  await deps.db
    .update(epics)
    .set({ pausedAt: null, pausedReason: null })
    .where(and(eq(epics.id, epic.id), isNotNull(epics.pausedAt)));
  let now = (await findEpic(deps.db, epic.id)) ?? epic;
  const wasBlocked = now.state === 'BLOCKED';
  if (wasBlocked) {
    const to = now.planApprovedAt ? 'IN_PROGRESS' : 'PLANNING';
    now = await transitionEpic(deps.db, epic.id, to, { from: 'BLOCKED' });
    if (now.state === 'PLANNING' && (now.plan === null || now.plan === undefined)) {
      await deps.queues.enqueue(
        'plan-epic',
        { epicId: epic.id, ...repoRef(payload) },
        { jobId: jobIds.forEntity('plan-epic', epic.id, 'resume', payload.commentId) },
      );
    }
  }
  const resolved = await resolveEscalations(deps.db, epic.id);
  // A retried job finds nothing left to change; the label is set again all the same (it is idempotent).
  if (wasBlocked || resolved.length > 0 || comment.retried) await showEpicState(comment, now);
  await comment.options.startWaitingTasks();
}

async function replanEpic(comment: CommentInHand, epic: Epic) {
  const { deps, payload } = comment;
  const fresh = { plan: null, planApprovedAt: null, planApprovedBy: null };
  const now = await findEpic(deps.db, epic.id);
  if (now && (now.state === 'IN_PROGRESS' || now.state === 'BLOCKED')) {
    await transitionEpic(deps.db, epic.id, 'PLANNING', { from: now.state, patch: fresh });
  } else if (now?.state === 'PLANNING' && now.plan !== null) {
    await updateEpic(deps.db, epic.id, fresh);
  }
  await deps.queues.enqueue(
    'plan-epic',
    { epicId: epic.id, ...repoRef(payload) },
    { jobId: jobIds.forEntity('plan-epic', epic.id, 'replan', payload.commentId) },
  );
}

async function showTaskState(comment: CommentInHand, task: Task) {
  await showState(comment, task.issueNumber, taskStateLabel(task.state));
}

async function showEpicState(comment: CommentInHand, epic: Epic) {
  await showState(comment, epic.issueNumber, epicStateLabel(epic.state));
}

async function showState(comment: CommentInHand, issueNumber: number, state: StateLabelKey | null) {
  const { deps, payload } = comment;
  const octokit = await deps.github.forInstallation(payload.installationId);
  const { config } = await loadRepoConfig(octokit, { owner: payload.owner, repo: payload.repo });
  await setStateLabel(octokit, {
    owner: payload.owner,
    repo: payload.repo,
    issueNumber,
    labels: config.labels,
    state,
  });
}

function repoRef(payload: CommentInHand['payload']) {
  return { installationId: payload.installationId, owner: payload.owner, repo: payload.repo };
}
