import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Epic, Task } from '../../db/schema.js';
import type { CommandResult } from './commands.js';
import { fence, tail } from './render.js';

/**
 * What the worker agent is told. The system prompt states the rules of the
 * role; the user turn carries the task, its epic and the repository's own
 * instructions. Issue text is written by people and marked as such.
 */

export function workerSystemPrompt(): string {
  return [
    'You are a Factory worker: a software engineer implementing one task in a git worktree of the repository.',
    'Work only inside the current directory. Make the change the task asks for, keep it focused, and follow the conventions you find in the repository.',
    'Do not commit, push, create branches or open pull requests: Factory commits your changes, pushes them and opens the pull request.',
    'When you are done, answer with a short summary of what you changed and why; it becomes the pull request description.',
  ].join('\n');
}

const instructionFiles = ['AGENTS.md', 'CLAUDE.md', '.github/copilot-instructions.md'];

/** The repository's instructions for agents, if it has any (bounded). */
export function repositoryInstructions(worktree: string, maxChars = 20_000): string {
  const parts: string[] = [];
  for (const file of instructionFiles) {
    const full = path.join(worktree, file);
    if (existsSync(full))
      parts.push(`From ${file}:\n${readFileSync(full, 'utf8').slice(0, maxChars)}`);
  }
  return parts.join('\n\n').slice(0, maxChars);
}

export function taskPrompt(input: {
  epic: Pick<Epic, 'issueNumber' | 'title' | 'body'>;
  task: Pick<Task, 'issueNumber' | 'title' | 'description' | 'acceptanceCriteria'>;
  instructions: string;
  testCommands: readonly string[];
  attempt: number;
}): string {
  const { epic, task } = input;
  const lines = [
    `Implement task #${task.issueNumber}: ${task.title}`,
    '',
    '<task description (written by people)>',
    task.description.trim() || '(no description)',
    '</task description>',
  ];
  if (task.acceptanceCriteria.length > 0) {
    lines.push('', 'Acceptance criteria:', ...task.acceptanceCriteria.map((c) => `- ${c}`));
  }
  lines.push(
    '',
    `This task is part of epic #${epic.issueNumber}: ${epic.title}`,
    '<epic description (written by people)>',
    tail(epic.body.trim() || '(no description)', 8_000),
    '</epic description>',
  );
  if (input.instructions)
    lines.push('', "The repository's instructions for agents:", input.instructions);
  if (input.testCommands.length > 0) {
    lines.push(
      '',
      `After you finish, Factory runs: ${input.testCommands.join(' && ')}. Make them pass.`,
    );
  }
  if (input.attempt > 1) {
    lines.push(
      '',
      `This is attempt ${input.attempt}: the worktree holds the work of the earlier attempt. Continue from it.`,
    );
  }
  return lines.join('\n');
}

export function testFeedbackPrompt(
  failed: CommandResult,
  round: number,
  maxRounds: number,
): string {
  return [
    `The check \`${failed.command}\` failed (${failed.timedOut ? 'timed out' : `exit ${failed.exitCode ?? 'signal'}`}). Its output:`,
    fence(tail(failed.output, 12_000)),
    `Fix the cause and finish with a short summary of the change. (Round ${round} of ${maxRounds}.)`,
  ].join('\n\n');
}
