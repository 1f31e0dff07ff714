import type { Job } from 'bullmq';
import { and, eq, isNull } from 'drizzle-orm';
import { updateAgent } from '../../db/agents.js';
import { recordDecision } from '../../db/decisions.js';
import { findEpic } from '../../db/epics.js';
import { mail, type Epic, type Task } from '../../db/schema.js';
import { findTask, transitionTask } from '../../db/tasks.js';
import { commitAll } from '../../git/commit.js';
import { GitError, runGit } from '../../git/gitCommand.js';
import { taskWorktreePath, type RepoPlace } from '../../git/layout.js';
import { ensureMirror } from '../../git/mirror.js';
import { pushTaskBranch } from '../../git/push.js';
import { ensureTaskWorktree } from '../../git/worktree.js';
import { ensureComment } from '../../github/comments.js';
import { wakeMergeQueue } from '../../mergeQueue/enter.js';
import type { JobPayload } from '../../queues/jobs.js';
import { answerMailTool, nextMailTurn } from '../../mail/agentMail.js';
import { repoAgentEnv } from '../runtime/agentEnv.js';
import type { AgentRunResult } from '../runtime/types.js';
import type { FlowServices } from '../flow/services.js';
import { loggedCommandEnvironment, runCommands } from './commands.js';
import {
  taskContext,
  testFeedbackPrompt,
  workerPrompts,
  type WorkerPromptContext,
} from './prompt.js';
import { claimWorkerAgent } from './workerAgent.js';
import type { BudgetCut } from '../runtime/modelProxy/budgetDecision.js';
import { repoBudgets } from '../runtime/modelProxy/repoBudgets.js';
import { parkTaskForBudget } from './parkForBudget.js';

/**
 * The `rework-task` job: the merge queue gave a PR back to its worker
 * (changes requested, failing checks, or a conflict the app could not settle
 * with git alone). The worker addresses the round's feedback on the same
 * branch, in the same worktree and (for feedback on the change) the same
 * agent session, runs the repository's checks, pushes, and hands the PR
 * back to the queue (task IN_PROGRESS → REVIEW).
 *
 * For a conflict the base is merged into the branch (not rebased), so the push
 * is a fast-forward and the agent only resolves the conflicted files. A job
 * that finds the task no longer IN_PROGRESS (done, cancelled, already handed
 * back) does nothing, so a redelivered or retried job is harmless.
 */

export type ReworkResult = 'stale' | 'review' | 'blocked';

export async function reworkTask(
  flow: FlowServices,
  payload: JobPayload<'rework-task'>,
  job: Pick<Job, 'id'> = {},
): Promise<ReworkResult> {
  const { db } = flow.deps;
  const task = await findTask(db, payload.taskId);
  if (!task || task.state !== 'IN_PROGRESS' || !task.branch || !task.prNumber) return 'stale';
  const epic = await findEpic(db, task.epicId);
  if (!epic || epic.state !== 'IN_PROGRESS') return 'stale';

  const jobId = job.id ?? `rework-task-${task.id}-${payload.round}`;
  const outcome = await runReworkRound(
    flow,
    epic,
    { ...task, branch: task.branch },
    payload,
    jobId,
  );
  if (outcome.kind === 'pushed') {
    await transitionTask(db, task.id, 'REVIEW', {
      from: 'IN_PROGRESS',
      patch: { headSha: outcome.headSha, failureReason: null },
    });
    await recordDecision(db, {
      decision: `rework round ${payload.round} of task #${task.issueNumber} pushed`,
      reasoning: `Addressed ${payload.reason}; new head ${outcome.headSha.slice(0, 12)}.`,
      context: { round: payload.round, reason: payload.reason, headSha: outcome.headSha },
      agentId: task.assignedAgentId,
      epicId: epic.id,
      taskId: task.id,
    });
    await wakeMergeQueue(
      flow.deps,
      {
        epicId: epic.id,
        installationId: epic.installationId,
        owner: epic.repoOwner,
        repo: epic.repoName,
      },
      ['rework', task.id, payload.round, outcome.headSha.slice(0, 12)],
    );
    await flow.refreshProgress(epic, `task-${task.id}-rework-${payload.round}-REVIEW`);
    return 'review';
  }

  // Cut at a budget: parked the one way every budget cut is (the epic paused for an epic budget).
  if (outcome.budgetCut) {
    await parkTaskForBudget(flow.deps, { epic, task, cut: outcome.budgetCut });
    await flow.refreshProgress(epic, `task-${task.id}-rework-${payload.round}-parked-budget`);
    return 'blocked';
  }
  // Visible and recoverable: BLOCKED with the reason on the task issue; `/factory retry` resumes.
  const octokit = await flow.octokit(epic.installationId);
  await ensureComment(octokit, {
    owner: epic.repoOwner,
    repo: epic.repoName,
    issueNumber: task.issueNumber,
    key: `task-rework-${payload.round}-blocked`,
    body: [
      `Factory could not finish rework round ${payload.round} (${payload.reason}) of this task: ${outcome.reason}.`,
      outcome.output
        ? `\n<details><summary>Last output</summary>\n\n\`\`\`\n${outcome.output.slice(-3_000)}\n\`\`\`\n</details>`
        : '',
      '\nThe task is blocked; comment `/factory retry` to try again.',
    ].join('\n'),
  });
  await transitionTask(db, task.id, 'BLOCKED', { from: 'IN_PROGRESS', reason: outcome.reason });
  await flow.refreshProgress(epic, `task-${task.id}-rework-${payload.round}-BLOCKED`);
  return 'blocked';
}

type RoundOutcome =
  | { kind: 'pushed'; headSha: string }
  | { kind: 'stopped'; reason: string; output: string; budgetCut?: BudgetCut };

async function runReworkRound(
  flow: FlowServices,
  epic: Epic,
  task: Task & { branch: string },
  payload: JobPayload<'rework-task'>,
  jobId: string,
): Promise<RoundOutcome> {
  const { db, env } = flow.deps;
  const config = await flow.repoConfig(epic);
  const octokit = await flow.octokit(epic.installationId);
  const ref = { owner: epic.repoOwner, repo: epic.repoName };
  const repository = await flow.access.repository(octokit, ref);
  const baseBranch = epic.baseBranch ?? repository.defaultBranch;
  const remote = await flow.access.credentials(epic.installationId, repository.cloneUrl);
  const place: RepoPlace = { root: env.WORKTREE_DIR, ...ref };
  const mirror = await ensureMirror(place, remote);
  const worktree = await ensureTaskWorktree({
    mirror,
    path: taskWorktreePath(place, epic.issueNumber, task.issueNumber),
    branch: task.branch,
    baseBranch,
  });
  // A rework job run again after its process died takes over the agent its dead run left BUSY.
  const { agent, replaced } = await claimWorkerAgent(db, task, epic.installationId, jobId);
  // The orchestrator judges a BUSY agent by the job it names: this one, not the finished attempt.
  await updateAgent(db, agent.id, { currentJobId: jobId });

  const feedback = await roundFeedback(flow, task, payload);
  // Given to the agent in this prompt: read now, so the mail turns do not hand it over again.
  await markRoundRead(flow, task, payload.round);
  const conflicted =
    payload.reason === 'conflict' ? await mergeBase(worktree.path, baseBranch) : [];
  const prompts = await workerPrompts(
    { epic, baseBranch, worktree: worktree.path },
    reworkContext(task, payload, baseBranch, feedback, conflicted),
  );

  const answerMail = answerMailTool(flow.deps, {
    agentId: agent.id,
    installationId: epic.installationId,
    ...ref,
  });
  const runAgent = (text: string, resumeSessionId?: string) =>
    flow.deps.agents.run({
      role: 'worker',
      agentId: agent.id,
      purpose: payload.reason === 'conflict' ? 'resolve-conflict' : 'rework',
      cwd: worktree.path,
      systemPrompt: prompts.systemPrompt,
      prompt: text,
      model: config.models.worker ?? env.MODEL_WORKER,
      tools: [answerMail],
      resumeSessionId,
      maxTurns: env.AGENT_MAX_TURNS,
      timeoutMs: env.AGENT_TIMEOUT_SECONDS * 1000,
      allowedEnv: repoAgentEnv(config.agentEnv, process.env).env,
      context: { installationId: epic.installationId, epicId: epic.id, taskId: task.id },
      budgets: repoBudgets(config.budget),
    });

  // Feedback on the change continues the worker's own session, where its reasoning
  // is; a conflict is a fresh, focused job: the task's intent plus the conflicted files.
  const resume =
    payload.reason === 'conflict'
      ? undefined
      : (agent.sessionId ?? replaced?.sessionId ?? undefined);
  let result = await runAgent(prompts.prompt, resume);
  const commandOptions = {
    cwd: worktree.path,
    env: loggedCommandEnvironment(config.agentEnv, flow.deps.log, {
      epic: epic.issueNumber,
      task: task.issueNumber,
    }),
    timeoutMs: flow.commandTimeoutMs,
    jail: flow.jail,
  };
  for (let round = 0; ;) {
    const stopped = stoppedRun(result);
    if (stopped) return stopped;
    // Mail that came while it worked is its next turn, as in the first attempt (attempt.ts).
    const mail = await nextMailTurn(db, agent.id);
    if (mail) {
      result = await runAgent(mail, result.sessionId);
      continue;
    }
    const tests = await runCommands(config.test, 'test', commandOptions);
    const failed = tests.find((check) => !check.ok);
    if (!failed) break;
    round += 1;
    if (round > config.maxTestRounds) {
      return {
        kind: 'stopped',
        reason: `the test command \`${failed.command}\` still failed after the rework`,
        output: failed.output,
      };
    }
    result = await runAgent(
      testFeedbackPrompt(failed, round, config.maxTestRounds),
      result.sessionId,
    );
  }

  if (await hasConflictMarkers(worktree.path)) {
    return {
      kind: 'stopped',
      reason: 'conflict markers are still in the files',
      output: result.text,
    };
  }
  const identity = await flow.access.botIdentity(octokit);
  await commitAll(
    worktree.path,
    identity,
    `Address ${payload.reason.replace('-', ' ')} (round ${payload.round})\n\nPart of #${epic.issueNumber}`,
  );
  const headSha = await pushTaskBranch({
    gitDir: worktree.path,
    branch: task.branch,
    taskBranch: task.branch,
    prefix: config.branchPrefix,
    remote,
  });
  return { kind: 'pushed', headSha };
}

interface RoundFeedback {
  header: string;
  /** The merge queue's letter: review comments or check output, written by others. */
  letter?: { subject: string; body: string };
}

/** The round's feedback, as the merge queue wrote it to the task's mailbox. */
async function roundFeedback(
  flow: FlowServices,
  task: Task,
  payload: JobPayload<'rework-task'>,
): Promise<RoundFeedback> {
  const [letter] = await flow.deps.db
    .select({ subject: mail.subject, body: mail.body })
    .from(mail)
    .where(eq(mail.dedupeKey, reworkMailKey(task.id, payload.round)));
  const header = `Your pull request #${task.prNumber} for task #${task.issueNumber} came back (${payload.reason}, round ${payload.round}).`;
  return { header, letter };
}

/**
 * What the round's run is told. Feedback on the change continues the worker's
 * session, which already holds the task: the job and the letter suffice. A
 * conflict is a fresh session, so it gets the task's intent and the files.
 */
function reworkContext(
  task: Task & { branch: string },
  payload: JobPayload<'rework-task'>,
  baseBranch: string,
  feedback: RoundFeedback,
  conflicted: string[],
): WorkerPromptContext {
  const material = feedback.letter
    ? [{ label: feedback.letter.subject, text: feedback.letter.body }]
    : [];
  const noCommit = 'Do not commit or push; Factory commits and pushes for you.';
  if (payload.reason !== 'conflict') {
    return {
      job: `${feedback.header}\n\nAddress each point of the feedback below on your branch; if you disagree with one, say why in your summary. ${noCommit} Finish with a short summary of what you changed.`,
      material,
    };
  }
  if (conflicted.length === 0) {
    return {
      job: `${feedback.header}\n\nThe base branch \`${baseBranch}\` merged into your branch cleanly; check that your change still fits it. ${noCommit}`,
      task: taskContext(task, task.branch),
      material,
    };
  }
  const files = conflicted.map((file) => `\`${file}\``).join(', ');
  return {
    job: [
      feedback.header,
      `The base branch \`${baseBranch}\` has been merged into your branch and these files have conflicts: ${files}.`,
      `Resolve every conflict so that both the base branch's changes and your task's change (below) are kept, and remove all conflict markers. ${noCommit}`,
    ].join('\n\n'),
    task: taskContext(task, task.branch),
    material,
  };
}

async function markRoundRead(flow: FlowServices, task: Task, round: number) {
  await flow.deps.db
    .update(mail)
    .set({ readAt: new Date() })
    .where(and(eq(mail.dedupeKey, reworkMailKey(task.id, round)), isNull(mail.readAt)));
}

function reworkMailKey(taskId: number, round: number) {
  return `merge-queue-rework-${taskId}-${round}`;
}

/** Merges the base into the branch; returns the conflicted files (none: merged cleanly). */
async function mergeBase(worktree: string, baseBranch: string): Promise<string[]> {
  const inProgress = await runGit(['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { cwd: worktree })
    .then(() => true)
    .catch(() => false);
  if (!inProgress) {
    try {
      await runGit(
        [
          '-c',
          'core.hooksPath=/dev/null',
          'merge',
          '--no-edit',
          '--no-ff',
          '--no-commit',
          `refs/remotes/origin/${baseBranch}`,
        ],
        { cwd: worktree },
      );
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
    }
  }
  const unmerged = await runGit(['diff', '--name-only', '--diff-filter=U'], { cwd: worktree });
  return unmerged.split('\n').filter((line) => line.length > 0);
}

async function hasConflictMarkers(worktree: string): Promise<boolean> {
  const found = await runGit(['grep', '-n', '-I', '-E', '^(<<<<<<< |>>>>>>> )'], { cwd: worktree })
    .then((out) => out.trim().length > 0)
    .catch(() => false); // git grep exits 1 when nothing matches
  return found;
}

function stoppedRun(result: AgentRunResult): RoundOutcome | undefined {
  if (result.status === 'succeeded') return undefined;
  const what = result.error ? `${result.error.kind}: ${result.error.message}` : result.status;
  return {
    kind: 'stopped',
    reason: `the agent run ${result.status} (${what})`,
    output: result.text,
    budgetCut: result.error?.kind === 'budget' ? result.budgetCut : undefined,
  };
}
