import type { Epic, Task } from '../../db/schema.js';
import { assemblePrompts, type AssembledPrompts, type PromptContext } from '../prompts/assemble.js';
import { loadRepoInstructions, loadRolePrompt } from '../prompts/loadPrompts.js';
import type { CommandResult } from './commands.js';
import { tail } from './render.js';

/**
 * What the worker agent is told, assembled by the runtime's prompt modules:
 * the system prompt is prompts/worker.md plus the repository's instructions
 * (CLAUDE.md / AGENTS.md of the worktree); the user turn is the job with the
 * task and its epic, fenced as text written by people. Later turns of the
 * same session (failing checks, review feedback) carry only the job and its
 * material: the session already holds the task.
 */

/** Longest epic body a worker is given; the end is kept. */
const maxEpicChars = 8_000;
/** Longest command output given back to the agent; the end is kept. */
const maxOutputChars = 12_000;

type PromptEpic = Pick<Epic, 'issueNumber' | 'title' | 'body' | 'repoOwner' | 'repoName'>;
type PromptTask = Pick<Task, 'issueNumber' | 'title' | 'description' | 'acceptanceCriteria'>;

export interface WorkerPromptBase {
  epic: PromptEpic;
  baseBranch: string;
  /** The task's worktree: the repository's instructions are read from it. */
  worktree: string;
}

/** The first turn of an attempt: implement the task. */
export async function taskPrompts(
  base: WorkerPromptBase & {
    task: PromptTask;
    branch: string;
    testCommands: readonly string[];
    attempt: number;
  },
): Promise<AssembledPrompts> {
  return workerPrompts(base, {
    epic: epicContext(base.epic),
    task: taskContext(base.task, base.branch),
    job: implementJob(base),
  });
}

export function implementJob(input: {
  task: Pick<Task, 'issueNumber'>;
  epic: Pick<Epic, 'issueNumber'>;
  testCommands: readonly string[];
  attempt: number;
}): string {
  const lines = [
    `Implement task #${input.task.issueNumber} (below), part of epic #${input.epic.issueNumber}, in your worktree.`,
    'Factory commits, pushes and opens the pull request when you finish; end with the summary that becomes its description.',
  ];
  if (input.testCommands.length > 0)
    lines.push(
      `When you finish, Factory runs \`${input.testCommands.join(' && ')}\` in the worktree; make it pass.`,
    );
  if (input.attempt > 1)
    lines.push(
      `This is attempt ${input.attempt}: the worktree holds the work of the earlier attempt. Continue from it.`,
    );
  return lines.join('\n\n');
}

/** A later turn of the same session: a check failed; its output is the material. */
export function testFeedbackPrompt(
  failed: CommandResult,
  round: number,
  maxRounds: number,
): string {
  const how = failed.timedOut ? 'timed out' : `exited ${failed.exitCode ?? 'on a signal'}`;
  return assemblePrompts({
    role: 'worker',
    rolePrompt: '',
    job: `The check \`${failed.command}\` ${how}. Fix the cause and finish with a short summary of the change. (Round ${round} of ${maxRounds}.)`,
    material: [{ label: `Output of ${failed.command}`, text: tail(failed.output, maxOutputChars) }],
  }).prompt;
}

/** What a run is asked, with the task, epic and material it concerns. */
export type WorkerPromptContext = Pick<PromptContext, 'job' | 'epic' | 'task' | 'material'>;

/** Any worker run's prompts: the role prompt and repository instructions around `context`. */
export async function workerPrompts(
  base: WorkerPromptBase,
  context: WorkerPromptContext,
): Promise<AssembledPrompts> {
  return assemblePrompts({
    role: 'worker',
    rolePrompt: await loadRolePrompt('worker'),
    repository: {
      owner: base.epic.repoOwner,
      name: base.epic.repoName,
      baseBranch: base.baseBranch,
    },
    repoInstructions: await loadRepoInstructions(base.worktree),
    ...context,
  });
}

export function epicContext(epic: PromptEpic): NonNullable<PromptContext['epic']> {
  return {
    number: epic.issueNumber,
    title: epic.title,
    body: tail(epic.body.trim() || '(no description)', maxEpicChars),
  };
}

export function taskContext(task: PromptTask, branch?: string): NonNullable<PromptContext['task']> {
  return {
    number: task.issueNumber,
    title: task.title,
    description: task.description.trim() || '(no description)',
    acceptanceCriteria: task.acceptanceCriteria,
    branch,
  };
}
