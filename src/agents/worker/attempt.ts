import path from 'node:path';
import type { RepoConfig } from '../../config/repoConfig.js';
import type { Agent, Epic, Task } from '../../db/schema.js';
import { updateAgent } from '../../db/agents.js';
import { recordDecision } from '../../db/decisions.js';
import { updateTask } from '../../db/tasks.js';
import { taskCost } from '../../db/usage.js';
import { commitAll, commitsAhead } from '../../git/commit.js';
import { taskWorktreePath, type RepoPlace } from '../../git/layout.js';
import { ensureMirror } from '../../git/mirror.js';
import { pushTaskBranch } from '../../git/push.js';
import { ensureTaskWorktree } from '../../git/worktree.js';
import { answerMailTool, nextMailTurn } from '../../mail/agentMail.js';
import { questionTools } from '../../mail/askHuman.js';
import { resumeTaskPrompt } from '../../mail/mailPrompts.js';
import { sessionDirectory } from '../../mail/sessionPlace.js';
import { repoAgentEnv } from '../runtime/agentEnv.js';
import type { BudgetCut } from '../runtime/modelProxy/budgetDecision.js';
import { repoBudgets } from '../runtime/modelProxy/repoBudgets.js';
import type { AgentRunResult } from '../runtime/types.js';
import type { FlowServices } from '../flow/services.js';
import { loggedCommandEnvironment, runCommands, type CommandResult } from './commands.js';
import { taskPrompts, testFeedbackPrompt } from './prompt.js';
import { closeInterruptedRun, findInterruptedRun } from './interruptedRun.js';
import { ensurePullRequest, type EnsuredPullRequest } from './pullRequest.js';
import { pullRequestTitle, renderPullRequestBody } from './render.js';
import { decideSessionStart, interruptedPrompt, type SessionStart } from './sessionStart.js';

/**
 * One attempt at a task, from worktree to pull request. It returns what
 * happened instead of throwing for the outcomes the product expects (failing
 * checks, an agent error, no change); git and GitHub errors do throw, and the
 * job retries the same attempt, which finds its worktree, branch and PR again.
 */

export type AttemptOutcome =
  | { kind: 'opened'; pullRequest: EnsuredPullRequest; checks: CommandResult[] }
  | { kind: 'failed'; reason: string; output: string }
  | { kind: 'cancelled'; reason: string }
  /**
   * No jail can start on this machine, or the model proxy cut the run at a
   * budget (`budgetCut`): retrying cannot help, the task waits for a person.
   */
  | { kind: 'parked'; reason: string; budgetCut?: BudgetCut }
  /** The agent asked people a question (ask_human) and waits for the answer. */
  | { kind: 'waiting' };

export interface AttemptInput {
  epic: Epic;
  task: Task;
  agent: Agent;
  config: RepoConfig;
  branch: string;
  baseBranch: string;
  jobId: string;
  /**
   * The session to carry on in (the job's payload): used when the agent's last
   * finished run left it in this worktree — e.g. after a person answered its question.
   */
  resumeSessionId?: string;
}

export async function runAttempt(flow: FlowServices, input: AttemptInput): Promise<AttemptOutcome> {
  const { epic, task, config } = input;
  const { db, env } = flow.deps;
  const jail = flow.jail.status();
  if (!jail.ok) return { kind: 'parked', reason: jail.reason };
  const octokit = await flow.octokit(epic.installationId);
  const ref = { owner: epic.repoOwner, repo: epic.repoName };
  const { cloneUrl } = await flow.access.repository(octokit, ref);
  const place: RepoPlace = { root: env.WORKTREE_DIR, ...ref };

  const mirror = await ensureMirror(
    place,
    await flow.access.credentials(epic.installationId, cloneUrl),
  );
  const worktree = await ensureTaskWorktree({
    mirror,
    path: taskWorktreePath(place, epic.issueNumber, task.issueNumber),
    branch: input.branch,
    baseBranch: input.baseBranch,
  });
  await updateTask(db, task.id, { worktreePath: worktree.path });

  const commandOptions = {
    cwd: worktree.path,
    env: loggedCommandEnvironment(config.agentEnv, flow.deps.log, {
      epic: epic.issueNumber,
      task: task.issueNumber,
    }),
    timeoutMs: flow.commandTimeoutMs,
    jail: flow.jail,
  };
  const checks: CommandResult[] = await runCommands(config.setup, 'setup', {
    ...commandOptions,
    allowHosts: config.sandbox.allowHosts,
  });
  const failedSetup = checks.find((check) => !check.ok);
  if (failedSetup) {
    return {
      kind: 'failed',
      reason: `the setup command \`${failedSetup.command}\` failed`,
      output: failedSetup.output,
    };
  }

  // The worker can answer the people whose mail reaches it between its runs.
  const answerMail = answerMailTool(flow.deps, {
    agentId: input.agent.id,
    installationId: epic.installationId,
    ...ref,
  });
  const questions = questionTools(flow.deps, {
    agentId: input.agent.id,
    role: 'worker',
    installationId: epic.installationId,
    thread: { ...ref, issueNumber: task.issueNumber },
    epicId: epic.id,
    taskId: task.id,
  });
  const brief = await taskPrompts({
    epic,
    baseBranch: input.baseBranch,
    worktree: worktree.path,
    task,
    branch: input.branch,
    testCommands: config.test,
    attempt: task.attempts,
  });
  const runAgent = (prompt: string, resumeSessionId?: string) =>
    flow.deps.agents.run({
      role: 'worker',
      agentId: input.agent.id,
      purpose: 'implement',
      cwd: worktree.path,
      systemPrompt: brief.systemPrompt,
      prompt,
      model: config.models.worker ?? env.MODEL_WORKER,
      tools: [answerMail, ...questions.tools],
      afterSuccess: questions.afterSuccess,
      resumeSessionId,
      maxTurns: env.AGENT_MAX_TURNS,
      timeoutMs: env.AGENT_TIMEOUT_SECONDS * 1000,
      allowedEnv: repoAgentEnv(config.agentEnv, process.env).env,
      context: { installationId: epic.installationId, epicId: epic.id, taskId: task.id },
      budgets: repoBudgets(config.budget),
    });

  // Messages left for the task before any worker started come with the task.
  const waitingMail = await nextMailTurn(db, input.agent.id);
  // An answered question carries its session on; a crash's interrupted run may be resumed.
  const carryOn = await sessionToCarryOn(db, input, worktree.path);
  const start = carryOn ? undefined : await sessionStart(flow, input, worktree.path);
  const [first, resumeId] = carryOn
    ? [resumeTaskPrompt(task), carryOn]
    : start?.kind === 'resume'
      ? [interruptedPrompt(task.attempts), start.sessionId]
      : [brief.prompt, undefined];
  let result = await runAgent(waitingMail ? `${first}\n\n${waitingMail}` : first, resumeId);
  let testRuns: CommandResult[] = [];
  for (let round = 0; ;) {
    const stopped = agentStop(result);
    if (stopped) return stopped;
    if (result.sessionId) await updateAgent(db, input.agent.id, { sessionId: result.sessionId });
    // It asked a person: the attempt stops here, WAITING; the answer resumes this session.
    if (questions.asked()) return { kind: 'waiting' };
    // Mail that came while it worked is its next turn (in the same session); the checks
    // then run on whatever that turn changed. It does not count as a round of fixes.
    const mail = await nextMailTurn(db, input.agent.id);
    if (mail) {
      result = await runAgent(mail, result.sessionId);
      continue;
    }
    testRuns = await runCommands(config.test, 'test', commandOptions);
    const failed = testRuns.find((check) => !check.ok);
    if (!failed) break;
    round += 1;
    if (round > config.maxTestRounds) {
      return {
        kind: 'failed',
        reason: `the test command \`${failed.command}\` still failed after ${config.maxTestRounds} round${config.maxTestRounds === 1 ? '' : 's'} of fixes`,
        output: failed.output,
      };
    }
    result = await runAgent(
      testFeedbackPrompt(failed, round, config.maxTestRounds),
      result.sessionId,
    );
  }
  checks.push(...testRuns);

  const identity = await flow.access.botIdentity(octokit);
  await commitAll(worktree.path, identity, commitMessage(task, epic));
  if ((await commitsAhead(worktree.path, input.baseBranch)) === 0) {
    return {
      kind: 'failed',
      reason: 'the agent finished without changing any file',
      output: result.text,
    };
  }
  await pushTaskBranch({
    gitDir: worktree.path,
    branch: input.branch,
    taskBranch: input.branch,
    prefix: config.branchPrefix,
    remote: await flow.access.credentials(epic.installationId, cloneUrl),
  });
  const cost = await taskCost(db, task.id);
  const pullRequest = await ensurePullRequest(octokit, {
    ...ref,
    branch: input.branch,
    base: input.baseBranch,
    title: pullRequestTitle(task.title, task.issueNumber),
    body: renderPullRequestBody({
      taskIssue: task.issueNumber,
      epicIssue: epic.issueNumber,
      summary: result.text,
      checks,
      costUsd: cost.costUsd,
      attempt: task.attempts,
    }),
  });
  return { kind: 'opened', pullRequest, checks };
}

/** The session to resume: only one a finished run of this agent left in this worktree. */
async function sessionToCarryOn(
  db: FlowServices['deps']['db'],
  input: AttemptInput,
  worktree: string,
): Promise<string | undefined> {
  if (!input.resumeSessionId) return undefined;
  const dir = await sessionDirectory(db, { id: input.agent.id, sessionId: input.resumeSessionId });
  return dir && path.resolve(dir) === path.resolve(worktree) ? input.resumeSessionId : undefined;
}

/**
 * Resume the session of a run a crash cut off, or start fresh (sessionStart.ts
 * decides); a resume, or a resume that cannot be, is a decision on record.
 */
async function sessionStart(
  flow: FlowServices,
  input: AttemptInput,
  cwd: string,
): Promise<SessionStart> {
  const { db } = flow.deps;
  const interrupted = await findInterruptedRun(db, input.task.id);
  const start = decideSessionStart({
    interrupted,
    transcriptExists: interrupted
      ? (flow.deps.agents.sessionTranscriptExists?.(interrupted.sessionId, cwd) ?? false)
      : false,
  });
  if (interrupted) {
    await closeInterruptedRun(db, interrupted);
    await recordDecision(db, {
      decision:
        start.kind === 'resume'
          ? `attempt ${input.task.attempts} of task #${input.task.issueNumber} resumes the interrupted session`
          : `attempt ${input.task.attempts} of task #${input.task.issueNumber} starts a fresh session`,
      reasoning: start.reason,
      context: { attempt: input.task.attempts, interrupted, start: start.kind },
      agentId: input.agent.id,
      epicId: input.epic.id,
      taskId: input.task.id,
    });
  }
  return start;
}

function agentStop(result: AgentRunResult): AttemptOutcome | undefined {
  if (result.status === 'cancelled')
    return { kind: 'cancelled', reason: result.error?.message ?? 'the run was cancelled' };
  if (result.status === 'failed' && result.error?.kind === 'sandbox')
    return { kind: 'parked', reason: result.error.message };
  if (result.status === 'failed' && result.error?.kind === 'budget')
    return { kind: 'parked', reason: result.error.message, budgetCut: result.budgetCut };
  if (result.status === 'failed') {
    const what = result.error ? `${result.error.kind}: ${result.error.message}` : 'unknown error';
    return { kind: 'failed', reason: `the agent run failed (${what})`, output: result.text };
  }
  return undefined;
}

function commitMessage(task: Task, epic: Epic): string {
  return `${task.title}\n\nCloses #${task.issueNumber}\nPart of #${epic.issueNumber}`;
}
