import type { Epic } from '../../db/schema.js';
import { assemblePrompts, type AssembledPrompts } from '../prompts/assemble.js';
import { loadRepoInstructions, loadRolePrompt } from '../prompts/loadPrompts.js';
import { tail } from '../worker/render.js';

/**
 * What the supervisor is told when it plans an epic: its role prompt
 * (prompts/supervisor.md) and the repository's instructions from the checkout
 * it explores, with the epic as the user turn — assembled by the runtime's
 * prompt modules, so every agent's prompt has one shape and one fencing rule.
 */

export const submitPlanTool = 'submit_plan';

/** Longest epic body the planner is given; the end is kept. */
const maxEpicChars = 20_000;

export interface PlanPromptInput {
  epic: Pick<Epic, 'issueNumber' | 'title' | 'body' | 'repoOwner' | 'repoName'>;
  baseBranch: string;
  /** The read-only checkout of the base branch the supervisor explores. */
  checkout: string;
}

export async function planPrompts(input: PlanPromptInput): Promise<AssembledPrompts> {
  const { epic } = input;
  return assemblePrompts({
    role: 'supervisor',
    rolePrompt: await loadRolePrompt('supervisor'),
    repository: { owner: epic.repoOwner, name: epic.repoName, baseBranch: input.baseBranch },
    repoInstructions: await loadRepoInstructions(input.checkout),
    epic: {
      number: epic.issueNumber,
      title: epic.title,
      body: tail(epic.body.trim() || '(no description)', maxEpicChars),
    },
    job: planJob(epic.issueNumber),
  });
}

export function planJob(epicNumber: number): string {
  return [
    `Plan epic #${epicNumber} (below) into tasks.`,
    'Explore the checkout of the base branch with your read-only tools first. For each task give a short lowercase key, a title, a description precise enough to work from (files, functions, behaviour), acceptance criteria a reviewer can check, and the keys of the tasks it depends on.',
    `When the plan is ready, call the \`${submitPlanTool}\` tool with a one-paragraph summary and the tasks. Do not change any file.`,
  ].join('\n\n');
}
