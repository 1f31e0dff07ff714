import { epicContext, taskContext } from '../agents/worker/prompt.js';
import { assemblePrompts, type AssembledPrompts } from '../agents/prompts/assemble.js';
import { loadRepoInstructions, loadRolePrompt } from '../agents/prompts/loadPrompts.js';
import type { AgentKind, Epic, Task } from '../db/schema.js';

/**
 * The prompts of answering runs: a person wrote to an agent. They are
 * assembled like every other run's (the role's prompts/<role>.md and the
 * checkout's CLAUDE.md / AGENTS.md as the system prompt, so a resumed session
 * keeps the rules it started under). A resumed session already knows its
 * work, so it only gets the message; a fresh run also gets the epic or task
 * it answers for and where that stands.
 */
export async function answerPrompts(input: {
  role: AgentKind;
  /** The message, framed by messageForAgent (who wrote it, trusted or not). */
  message: string;
  /** The checkout the session works in, for the repository's instructions. */
  checkout?: string;
  /** Set for a fresh run: what the agent answers for. */
  about?: { epic: Epic; task?: Task; status: string };
}): Promise<AssembledPrompts> {
  const { about } = input;
  const material = [];
  if (about) {
    material.push({ label: 'Where it stands', text: about.status });
    if (!about.task && about.epic.plan) {
      material.push({ label: 'The plan', text: JSON.stringify(about.epic.plan, null, 2) });
    }
  }
  return assemblePrompts({
    role: input.role,
    rolePrompt: await loadRolePrompt(input.role),
    repoInstructions: input.checkout ? await loadRepoInstructions(input.checkout) : [],
    ...(about ? { epic: epicContext(about.epic) } : {}),
    ...(about?.task ? { task: taskContext(about.task) } : {}),
    job: answerJob(input.message),
    material,
  });
}

function answerJob(message: string): string {
  return [
    'A person wrote to you in a GitHub comment. Your final message is posted as your reply in the same thread: answer them directly, in GitHub markdown, briefly.',
    'If you need a decision or information only a person can give, use the ask_human tool and then end your turn.',
    '',
    message,
  ].join('\n');
}

/** The worker's job carries its attempt on in the session where a person's answer reached it. */
export function resumeTaskPrompt(task: Pick<Task, 'issueNumber' | 'title'>): string {
  return [
    `Carry on with task #${task.issueNumber} "${task.title}" where you left off, with the answer you were given above.`,
    'When you are done, answer with a short summary of what you changed and why; it becomes the pull request description.',
  ].join('\n');
}
