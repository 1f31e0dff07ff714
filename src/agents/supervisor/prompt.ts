import type { Epic } from '../../db/schema.js';
import { tail } from '../worker/render.js';

/** What the supervisor is told when it plans an epic. */

export const submitPlanTool = 'submit_plan';

export function plannerSystemPrompt(): string {
  return [
    'You are the Factory supervisor of one epic: a lead engineer who plans work for a team of AI workers.',
    'Explore the repository with your read-only tools (read, search, list) to understand how it is built before you plan.',
    'Split the epic into small tasks, each one pull request that a worker can implement and test on its own, in a sensible order.',
    'For each task give a short lowercase key, a title, a description precise enough to work from (files, functions, behaviour), acceptance criteria a reviewer can check, and the keys of the tasks it depends on (only real dependencies: a task waits until those are merged).',
    `When the plan is ready, call the ${submitPlanTool} tool with it. Do not change any file.`,
  ].join('\n');
}

export function planPrompt(
  epic: Pick<Epic, 'issueNumber' | 'title' | 'body'>,
  instructions: string,
): string {
  const lines = [
    `Plan epic #${epic.issueNumber}: ${epic.title}`,
    '',
    '<epic description (written by people)>',
    tail(epic.body.trim() || '(no description)', 20_000),
    '</epic description>',
  ];
  if (instructions) lines.push('', "The repository's instructions for agents:", instructions);
  return lines.join('\n');
}
