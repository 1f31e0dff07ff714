import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FactoryTool } from '../agents/runtime/types.js';
import type { AgentKind } from '../db/schema.js';
import type { FactoryDeps } from '../deps.js';
import { mentionName } from './addressing.js';
import { sendMail } from './sendMail.js';
import type { Thread } from './thread.js';

/**
 * `ask_human`: lets an agent ask the people of the repository a question.
 * The question is posted in the task's (or epic's) thread and recorded as
 * Mail; the run then ends with the agent WAITING, and a person's answer
 * (addressed to the bot) resumes the same session (see conversation.ts).
 *
 * Give the run `tools` and `afterSuccess`; after it, `asked()` tells the job
 * driving the agent to stop there — the task is waiting for a person, not done.
 */
export interface QuestionTools {
  tools: FactoryTool[];
  afterSuccess: () => 'IDLE' | 'WAITING';
  asked: () => boolean;
}

export interface QuestionPlace {
  agentId: number;
  role: AgentKind;
  installationId: number;
  thread: Thread;
  epicId: number;
  taskId?: number;
}

const questionInput = { question: z.string().min(1).max(8_000) };

export function questionTools(deps: FactoryDeps, place: QuestionPlace): QuestionTools {
  let asked = false;
  const askHuman: FactoryTool<typeof questionInput> = {
    name: 'ask_human',
    description:
      'Ask the maintainers of this repository a question you cannot answer yourself (a decision, missing information). ' +
      'The question is posted as a comment; after calling this tool, end your turn at once: you will be resumed with the answer.',
    input: questionInput,
    async handler({ question }) {
      const botLogin = await deps.github.botLogin();
      await sendMail(deps, {
        installationId: place.installationId,
        thread: place.thread,
        dedupeKey: `question-${place.agentId}-${digest(question)}`,
        subject: 'Question',
        body: questionComment(place, question, botLogin),
        from: { agentId: place.agentId },
        to: { humans: true },
        epicId: place.epicId,
        taskId: place.taskId ?? null,
      });
      asked = true;
      return 'Your question is posted. Stop now: end your turn without calling more tools. You will be resumed with the answer.';
    },
  };
  return {
    tools: [askHuman as unknown as FactoryTool],
    afterSuccess: () => (asked ? 'WAITING' : 'IDLE'),
    asked: () => asked,
  };
}

function questionComment(place: QuestionPlace, question: string, botLogin: string): string {
  const who =
    place.role === 'worker' ? 'The worker of this task' : `The ${place.role} of this epic`;
  return [
    `**${who} asks:**`,
    '',
    question
      .split('\n')
      .map((line) => `> ${line}`)
      .join('\n'),
    '',
    `_Answer in a comment that mentions @${mentionName(botLogin)} (write access needed); the work continues with your answer._`,
  ].join('\n');
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
