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
  const toHumans = 'humans' in request.to;
  const { mail: recorded, created } = await recordOutgoingMail(deps.db, {
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
  if (recorded.githubCommentId !== null) return recorded;
  const octokit = await deps.github.forInstallation(request.installationId);
  const posted = await ensureThreadComment(octokit, request.thread, {
    key: request.dedupeKey,
    text: request.body,
    botLogin: await deps.github.botLogin(),
    // A row recorded just now has no comment yet; an older one may have lost the race with a crash.
    searchFirst: !created,
  });
  await notePostedComment(deps.db, recorded.id, posted);
  return { ...recorded, githubCommentId: posted.id, githubCommentUrl: posted.url };
}
