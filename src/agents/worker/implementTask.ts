import type { Job } from 'bullmq';
import { updateAgent } from '../../db/agents.js';
import { recordDecision } from '../../db/decisions.js';
import { findEpic } from '../../db/epics.js';
import type { Epic, Task } from '../../db/schema.js';
import { findTask, getTask, transitionTask, updateTask } from '../../db/tasks.js';
import { ensureComment } from '../../github/comments.js';
import { queuePullRequest } from '../../mergeQueue/enter.js';
import type { JobPayload } from '../../queues/jobs.js';
import type { FlowServices } from '../flow/services.js';
import { runAttempt, type AttemptOutcome } from './attempt.js';
import { taskBranchName } from './branchName.js';
import { infrastructureReason } from '../../domain/infrastructureError.js';
import { closeRunsForInfrastructure } from '../runtime/runRecords.js';
import { admitTaskAttempt } from './dispatch.js';
import { implementTaskJobId } from './implementJob.js';
import { parkTaskForBudget } from './parkForBudget.js';
import { renderFailureComment } from './render.js';
import { claimWorkerAgent } from './workerAgent.js';

/**
 * The `implement-task` job. The dispatcher claimed the task for this attempt
 * (PENDING → ASSIGNED); this job moves it to IN_PROGRESS, runs the attempt
 * and records the outcome: REVIEW with its PR in the epic's merge queue, a
 * new attempt, or FAILED with a comment. A job that finds the task elsewhere
 * (another attempt, cancelled, done) does nothing. The same job re-run after
 * a crash finds the task IN_PROGRESS for its attempt and carries on with the
 * same worktree, branch and PR. A job queued before its task was claimed
 * claims it through the dispatcher's gate; without a slot it ends 'waiting'
 * and the dispatcher queues it again when the task's turn comes.
 */

export type ImplementResult =
  'waiting' | 'stale' | 'epic-inactive' | 'review' | 'retrying' | 'failed' | 'cancelled';

export async function implementTask(
  flow: FlowServices,
  payload: JobPayload<'implement-task'>,
  job: Pick<Job, 'id' | 'attemptsMade' | 'opts'>,
): Promise<ImplementResult> {
  const { db, log } = flow.deps;
  let found = await findTask(db, payload.taskId);
  if (!found) return 'stale';
  if (found.state === 'PENDING') {
    // Queued before its task was claimed (intake, the allocation pass): claim it by the one rule.
    const admission = await admitTaskAttempt(
      flow.deps,
      { configOf: flow.dispatchConfigs },
      found.id,
      payload.attempt,
    );
    if (!admission.admitted) return admission.stale ? 'stale' : 'waiting';
    found = await getTask(db, found.id);
  }
  if (found.attempts === payload.attempt && found.state === 'REVIEW' && found.prNumber !== null) {
    // This attempt opened its PR, and the job stopped before the merge queue heard of it
    // (Redis down at that moment, the job retried as infrastructure): finish that handover.
    const epic = await findEpic(db, found.epicId);
    if (epic) await handToMergeQueue(flow, epic, found.id, found.prNumber);
    return 'review';
  }
  if (
    found.attempts !== payload.attempt ||
    (found.state !== 'ASSIGNED' && found.state !== 'IN_PROGRESS')
  ) {
    return 'stale';
  }
  const epic = await findEpic(db, found.epicId);
  if (!epic || epic.state !== 'IN_PROGRESS') return 'epic-inactive';

  const config = await flow.repoConfig(epic);
  const octokit = await flow.octokit(epic.installationId);
  const baseBranch =
    epic.baseBranch ??
    (await flow.access.repository(octokit, { owner: epic.repoOwner, repo: epic.repoName }))
      .defaultBranch;
  const branch =
    found.branch ??
    taskBranchName(config.branchPrefix, epic.issueNumber, found.issueNumber, found.title);
  const jobId = job.id ?? implementTaskJobId(payload.taskId, payload.attempt);
  const { agent, replaced } = await claimWorkerAgent(db, found, epic.installationId, jobId);
  if (replaced) {
    log.warn({ task: found.id, agent: replaced.id, job: jobId }, 'took over from a dead run');
    await recordDecision(db, {
      epicId: epic.id,
      taskId: found.id,
      agentId: agent.id,
      decision: 'recovered: run taken over',
      reasoning: `worker agent #${replaced.id} was left busy on job ${jobId}, whose process died mid-run; this run of the job takes task #${found.issueNumber} over with agent #${agent.id}`,
      context: { job: jobId, replacedAgentId: replaced.id, attempt: found.attempts },
    });
  }
  await updateAgent(db, agent.id, { currentJobId: jobId });
  const task =
    found.state === 'ASSIGNED'
      ? await transitionTask(db, found.id, 'IN_PROGRESS', {
          from: 'ASSIGNED',
          patch: { branch, assignedAgentId: agent.id },
        })
      : found.assignedAgentId === agent.id
        ? found
        : await updateTask(db, found.id, { assignedAgentId: agent.id });
  await flow.refreshProgress(epic, `task-${task.id}-a${task.attempts}-IN_PROGRESS`);
  const taskLog = log.child({ epic: epic.id, task: task.id, attempt: task.attempts, job: jobId });

  let outcome: AttemptOutcome;
  try {
    outcome = await runAttempt(flow, {
      epic,
      task,
      agent,
      config,
      branch,
      baseBranch,
      jobId,
      resumeSessionId: payload.resumeSessionId,
    });
  } catch (error) {
    const infrastructure = infrastructureReason(error);
    if (infrastructure) {
      // Not the attempt's failure: the job is retried as infrastructure and resumes this attempt.
      taskLog.warn(
        { err: infrastructure, infrastructure: true },
        'task attempt paused by an infrastructure error',
      );
      await closeRunsForInfrastructure(db, agent.id, infrastructure).catch(() => undefined);
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    const finalTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    taskLog.warn({ err: message, finalTry }, 'task attempt interrupted');
    if (!finalTry) throw error; // the job runs again and resumes this attempt
    outcome = { kind: 'failed', reason: `an error stopped the attempt: ${message}`, output: '' };
  }

  const result = await recordOutcome(flow, epic, task, outcome, config.maxAttempts);
  taskLog.info({ result }, 'task attempt finished');
  await flow.dispatch();
  return result;
}

async function recordOutcome(
  flow: FlowServices,
  epic: Epic,
  task: Task,
  outcome: AttemptOutcome,
  maxAttempts: number,
): Promise<ImplementResult> {
  const { db } = flow.deps;
  if (outcome.kind === 'opened') {
    const { pullRequest } = outcome;
    await transitionTask(db, task.id, 'REVIEW', {
      from: 'IN_PROGRESS',
      patch: {
        prNumber: pullRequest.number,
        prUrl: pullRequest.url,
        headSha: pullRequest.headSha,
        failureReason: null,
      },
    });
    // The records first: the queue's wake-up needs Redis, and a job stopped there is resumed above.
    await recordDecision(db, {
      decision: `opened PR #${pullRequest.number} for task #${task.issueNumber}`,
      reasoning: `Checks: ${outcome.checks.map((c) => `${c.command} ${c.ok ? 'passed' : 'failed'}`).join(', ') || 'none configured'}`,
      context: {
        prNumber: pullRequest.number,
        headSha: pullRequest.headSha,
        attempt: task.attempts,
        outcome: pullRequest.outcome,
      },
      agentId: task.assignedAgentId,
      epicId: epic.id,
      taskId: task.id,
    });
    await handToMergeQueue(flow, epic, task.id, pullRequest.number);
    await flow.refreshProgress(epic, `task-${task.id}-REVIEW-${pullRequest.headSha.slice(0, 12)}`);
    return 'review';
  }
  if (outcome.kind === 'waiting') {
    // The task stays IN_PROGRESS with its worker WAITING; the answer resumes the session
    // and enqueues this job again to carry the attempt on (see mail/conversation.ts).
    await recordDecision(db, {
      decision: `task #${task.issueNumber} waits for an answer from a person`,
      reasoning: 'The worker asked a question with ask_human; it is posted on the task issue.',
      context: { attempt: task.attempts },
      agentId: task.assignedAgentId,
      epicId: epic.id,
      taskId: task.id,
    });
    await flow.refreshProgress(epic, `task-${task.id}-a${task.attempts}-waiting`);
    return 'waiting';
  }
  if (outcome.kind === 'parked' && outcome.budgetCut) {
    await parkTaskForBudget(flow.deps, { epic, task, cut: outcome.budgetCut });
    await flow.refreshProgress(epic, `task-${task.id}-a${task.attempts}-parked-budget`);
    return 'cancelled';
  }
  if (outcome.kind === 'parked') {
    await recordDecision(db, {
      decision: `task #${task.issueNumber} is parked: no agent can run on this machine`,
      reasoning: outcome.reason,
      context: { attempt: task.attempts },
      agentId: task.assignedAgentId,
      epicId: epic.id,
      taskId: task.id,
    });
    await transitionTask(db, task.id, 'BLOCKED', {
      from: 'IN_PROGRESS',
      reason: outcome.reason,
    }).catch(() => undefined);
    await flow.refreshProgress(epic, `task-${task.id}-a${task.attempts}-parked`);
    return 'cancelled';
  }
  if (outcome.kind === 'cancelled') {
    await transitionTask(db, task.id, 'BLOCKED', {
      from: 'IN_PROGRESS',
      reason: outcome.reason,
    }).catch(() => undefined);
    await flow.refreshProgress(epic, `task-${task.id}-a${task.attempts}-cancelled`);
    return 'cancelled';
  }
  await recordDecision(db, {
    decision: `attempt ${task.attempts} of task #${task.issueNumber} failed`,
    reasoning: outcome.reason,
    context: { attempt: task.attempts, maxAttempts, output: outcome.output.slice(-2_000) },
    agentId: task.assignedAgentId,
    epicId: epic.id,
    taskId: task.id,
  });
  if (task.attempts < maxAttempts) {
    await transitionTask(db, task.id, 'PENDING', {
      from: 'IN_PROGRESS',
      patch: { failureReason: outcome.reason },
    });
    await flow.refreshProgress(epic, `task-${task.id}-a${task.attempts}-retry`);
    return 'retrying';
  }
  // The comment comes first: once the task reads FAILED, the reason is on GitHub.
  const octokit = await flow.octokit(epic.installationId);
  await ensureComment(octokit, {
    owner: epic.repoOwner,
    repo: epic.repoName,
    issueNumber: task.issueNumber,
    key: 'task-failed',
    body: renderFailureComment({
      reason: outcome.reason,
      attempts: task.attempts,
      maxAttempts,
      lastOutput: outcome.output,
    }),
  });
  await transitionTask(db, task.id, 'FAILED', { from: 'IN_PROGRESS', reason: outcome.reason });
  await flow.refreshProgress(epic, `task-${task.id}-a${task.attempts}-FAILED`);
  return 'failed';
}

/** Puts the task's PR in the epic's merge queue and wakes it; safe to repeat. */
async function handToMergeQueue(flow: FlowServices, epic: Epic, taskId: number, prNumber: number) {
  await queuePullRequest(flow.deps, {
    epicId: epic.id,
    installationId: epic.installationId,
    owner: epic.repoOwner,
    repo: epic.repoName,
    taskId,
    prNumber,
  });
}
