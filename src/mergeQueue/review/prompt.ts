import { assemblePrompts, type AssembledPrompts } from '../../agents/prompts/assemble.js';
import { loadRepoInstructions, loadRolePrompt } from '../../agents/prompts/loadPrompts.js';
import { epicContext, taskContext } from '../../agents/worker/prompt.js';
import type { Epic, Task } from '../../db/schema.js';

/**
 * The supervisor's review of one PR of its epic, assembled like every other
 * run: prompts/supervisor.md and the checkout's CLAUDE.md / AGENTS.md as the
 * system prompt; the review job, the epic, the task and the diff as the user
 * turn. The diff is shown verbatim (it is code), with any hidden character
 * made visible.
 */

/** Longest diff given in the prompt; the agent reads the files for the rest. */
const diffLimit = 120_000;

export interface ReviewPromptInput {
  epic: Pick<Epic, 'issueNumber' | 'title' | 'body' | 'repoOwner' | 'repoName'>;
  task: Pick<Task, 'title' | 'description' | 'acceptanceCriteria' | 'issueNumber'>;
  prNumber: number;
  headSha: string;
  baseBranch: string;
  diff: string;
  /** Times the PR went back to its worker before. */
  round: number;
  /** The read-only checkout of the head commit the review runs in. */
  checkout: string;
}

export async function reviewPrompts(input: ReviewPromptInput): Promise<AssembledPrompts> {
  const diff =
    input.diff.length > diffLimit
      ? `${input.diff.slice(0, diffLimit)}\n… (diff cut at ${diffLimit} characters; read the files for the rest)`
      : input.diff;
  return assemblePrompts({
    role: 'supervisor',
    rolePrompt: await loadRolePrompt('supervisor'),
    repository: {
      owner: input.epic.repoOwner,
      name: input.epic.repoName,
      baseBranch: input.baseBranch,
    },
    repoInstructions: await loadRepoInstructions(input.checkout),
    epic: epicContext(input.epic),
    task: taskContext(input.task),
    job: reviewJob(input),
    material: [
      {
        label: `Diff of PR #${input.prNumber} against ${input.baseBranch}`,
        text: diff,
        verbatim: true,
      },
    ],
  });
}

export function reviewJob(
  input: Pick<ReviewPromptInput, 'prNumber' | 'headSha' | 'baseBranch' | 'task' | 'round'>,
): string {
  return [
    `Review pull request #${input.prNumber} (head ${input.headSha}, base \`${input.baseBranch}\`), written by a worker agent for task #${input.task.issueNumber} (below).`,
    'You are in a read-only checkout of its head commit: read any file you need; change nothing.',
    "Judge the change against the task's acceptance criteria (or, when there are none, its description) and ordinary code quality: correctness, tests for the new behaviour, no unrelated changes, no secrets, no hidden characters (shown as <U+XXXX> in the diff).",
    'Approve when the criteria are met and nothing is wrong; small style matters are not a reason to ask for changes.',
    'Ask for changes only for concrete problems, each as a line comment on a line the diff shows (path relative to the repository root, line number in the new file), or in the summary.',
    ...(input.round > 0
      ? [
          `This PR was sent back to its worker ${input.round} time(s) before; check that the earlier requests were addressed.`,
        ]
      : []),
    'Finish by calling the submit_review tool exactly once.',
  ].join('\n');
}
