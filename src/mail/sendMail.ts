import type { FactoryDeps } from '../deps.js';
import type { Mail } from '../db/schema.js';
import { notePostedComment, recordOutgoingMail } from './mailbox.js';
import { ensureThreadComment, type Thread } from './thread.js';

/**
 * Sends a message and shows it on GitHub: the Mail row is written first (keyed
 * by `dedupeKey`), then the comment is ensured in the thread and its id noted.
 * A retry with the same key finds both and sends nothing twice.
 *
 * Used for Factory's answers to people and for agent-to-agent messages (review
 * feedback, update requests), which are visible comments too.
 */
export interface SendMailRequest {
  installationId: number;
  thread: Thread;
  /** Stable across retries: derived from the comment, job or entity that caused the message. */
  dedupeKey: string;
  subject: string;
  /** The text as it appears in the comment (and in the recipient agent's mail). */
  body: string;
  from: { agentId: number } | { factory: true };
  to: { agentId: number } | { humans: true };
  epicId?: number | null;
  taskId?: number | null;
}

export async function sendMail(deps: FactoryDeps, request: SendMailRequest): Promise<Mail> {
  const { mail, created } = await recordMail(deps, request);
  return postMail(deps, request, mail, { searchFirst: !created });
}

/** Writes the Mail row only (the first half of `sendMail`); the same key returns the earlier row. */
export async function recordMail(
  deps: Pick<FactoryDeps, 'db'>,
  request: SendMailRequest,
): Promise<{ mail: Mail; created: boolean }> {
  const toHumans = 'humans' in request.to;
  return recordOutgoingMail(deps.db, {
    dedupeKey: request.dedupeKey,
    epicId: request.epicId ?? null,
    taskId: request.taskId ?? null,
    fromAgentId: 'agentId' in request.from ? request.from.agentId : null,
    toAgentId: 'agentId' in request.to ? request.to.agentId : null,
    isForHuman: toHumans,
    subject: request.subject,
    body: request.body,
    // What people are told needs no reading by an agent.
    readAt: toHumans ? new Date() : null,
  });
}

/**
 * Shows a recorded message in its thread (the second half of `sendMail`).
 * `searchFirst`: a row recorded earlier may have been posted by a run that
 * crashed before noting it, so its comment is looked for before posting.
 */
export async function postMail(
  deps: FactoryDeps,
  request: Pick<SendMailRequest, 'installationId' | 'thread' | 'dedupeKey'>,
  mail: Mail,
  options: { searchFirst: boolean },
): Promise<Mail> {
  if (mail.githubCommentId !== null) return mail;
  const octokit = await deps.github.forInstallation(request.installationId);
  const posted = await ensureThreadComment(octokit, request.thread, {
    key: request.dedupeKey,
    text: mail.body,
    botLogin: await deps.github.botLogin(),
    searchFirst: options.searchFirst,
  });
  await notePostedComment(deps.db, mail.id, posted);
  return { ...mail, githubCommentId: posted.id, githubCommentUrl: posted.url };
}
