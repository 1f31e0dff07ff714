import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { FactoryTool } from '../agents/runtime/types.js';
import type { Database } from '../db/connection.js';
import { mail, type Mail } from '../db/schema.js';
import type { FactoryDeps } from '../deps.js';
import { messageForAgent } from './framing.js';
import { takeUnreadMail } from './mailbox.js';
import { sendMail } from './sendMail.js';
import { threadOfIncoming } from './subjects.js';

/**
 * Mail for an agent that is already working: the runner (or the job driving
 * the agent) calls `nextMailTurn` between turns and, when it returns text,
 * gives it to the agent as its next user message. The agent answers a person
 * with the `answer_mail` tool, which posts in the thread the message came from.
 */
export async function nextMailTurn(db: Database, agentId: number): Promise<string | undefined> {
  const messages = await takeUnreadMail(db, agentId);
  return messages.length > 0 ? mailForAgent(messages) : undefined;
}

/** Unread mail as the agent sees it: people's text sanitised and framed; agent mail as is. */
export function mailForAgent(messages: Mail[]): string {
  const parts = messages.map((message) => {
    const header = `Message ${message.id}${message.subject ? ` — ${message.subject}` : ''}:`;
    const body = message.fromHuman
      ? messageForAgent({
          author: message.fromHuman,
          trusted: true, // only people with write access reach an agent's mailbox
          body: message.body,
          where: message.subject || 'GitHub',
        })
      : message.body;
    return `${header}\n${body}`;
  });
  const answerable = messages.some((message) => message.fromHuman);
  return [
    'New mail arrived while you were working:',
    ...parts,
    ...(answerable
      ? [
          'Answer a person with the answer_mail tool (its message id and your answer), then carry on.',
        ]
      : []),
  ].join('\n\n');
}

const answerInput = {
  messageId: z.number().int().positive(),
  answer: z.string().min(1).max(60_000),
};

/** `answer_mail`: the agent's answer to a person's message, posted in that message's thread. */
export function answerMailTool(
  deps: FactoryDeps,
  place: { agentId: number; installationId: number; owner: string; repo: string },
): FactoryTool {
  const tool: FactoryTool<typeof answerInput> = {
    name: 'answer_mail',
    description:
      'Answer a message a person sent you (by its message id). The answer is posted as a comment in the thread the message came from.',
    input: answerInput,
    async handler({ messageId, answer }) {
      const [message] = await deps.db.select().from(mail).where(eq(mail.id, messageId));
      if (
        !message?.fromHuman ||
        message.githubCommentId === null ||
        message.toAgentId !== place.agentId
      ) {
        return `There is no message ${messageId} from a person to you; nothing was posted.`;
      }
      const thread = threadOfIncoming(message, place);
      if (!thread) return `Message ${messageId} has no thread to answer in; nothing was posted.`;
      await sendMail(deps, {
        installationId: place.installationId,
        thread: thread.thread,
        // Not the `reply-…` key: that one carried Factory's "it reads your message at its next turn".
        dedupeKey: `answer-${thread.kind}-${message.githubCommentId}`,
        subject: `Re: ${message.subject}`,
        body: `@${message.fromHuman} ${answer}`,
        from: { agentId: place.agentId },
        to: { humans: true },
        epicId: message.epicId,
        taskId: message.taskId,
      });
      return 'Posted.';
    },
  };
  return tool as unknown as FactoryTool;
}
