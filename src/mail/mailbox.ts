import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { agents, mail, type Mail, type NewMail } from '../db/schema.js';

/**
 * The Mail records: every message between people and agents, and between
 * agents, in either direction. An incoming comment is keyed by its GitHub
 * comment id, so the same comment — redelivered, or edited after Factory acted
 * on it — is never taken twice; an outgoing message is keyed by a dedupe key,
 * so a retried job never sends it twice.
 */

export interface IncomingComment {
  commentId: number;
  commentUrl?: string;
  fromHuman: string;
  subject: string;
  body: string;
}

/** Records a comment addressed to Factory; `created` is false when it was recorded before. */
export async function recordIncomingComment(
  db: Database,
  comment: IncomingComment,
): Promise<{ mail: Mail; created: boolean }> {
  const [inserted] = await db
    .insert(mail)
    .values({
      githubCommentId: comment.commentId,
      githubCommentUrl: comment.commentUrl,
      fromHuman: comment.fromHuman,
      subject: comment.subject,
      body: comment.body,
    })
    .onConflictDoNothing({ target: mail.githubCommentId })
    .returning();
  if (inserted) return { mail: inserted, created: true };
  const existing = await findMailByComment(db, comment.commentId);
  if (!existing)
    throw new Error(`Mail for comment ${comment.commentId} vanished while recording it`);
  return { mail: existing, created: false };
}

export async function findMailByComment(
  db: Database,
  commentId: number,
): Promise<Mail | undefined> {
  const [row] = await db.select().from(mail).where(eq(mail.githubCommentId, commentId));
  return row;
}

/** Notes who a message is for once it is known (the epic, the task, the agent). */
export async function addressMail(
  db: Database,
  mailId: number,
  to: { epicId: number; taskId?: number | null; toAgentId?: number | null },
): Promise<void> {
  await db
    .update(mail)
    .set({ epicId: to.epicId, taskId: to.taskId ?? null, toAgentId: to.toAgentId ?? null })
    .where(eq(mail.id, mailId));
}

/** Marks a message read; false when it already was (someone else delivered it). */
export async function markMailRead(db: Database, mailId: number): Promise<boolean> {
  const updated = await db
    .update(mail)
    .set({ readAt: new Date() })
    .where(and(eq(mail.id, mailId), isNull(mail.readAt)))
    .returning({ id: mail.id });
  return updated.length > 0;
}

/** Gives a message back, unread, when the agent it was claimed for could not take it. */
export async function unmarkMailRead(db: Database, mailId: number): Promise<void> {
  await db.update(mail).set({ readAt: null }).where(eq(mail.id, mailId));
}

/**
 * Claims every unread message for an agent, oldest first, and marks it read in
 * the same statement — two readers never both get a message. Messages left for
 * the agent's task or epic before any agent worked on it count too.
 *
 * Call it between an agent's turns (the runner, or the job driving the agent)
 * and give the agent `mailForAgent(...)` of the result.
 */
export async function takeUnreadMail(db: Database, agentId: number): Promise<Mail[]> {
  const [agent] = await db.select().from(agents).where(eq(agents.id, agentId));
  if (!agent) return [];
  const forAgent = eq(mail.toAgentId, agentId);
  const leftForWork =
    agent.kind === 'worker' && agent.taskId !== null
      ? and(isNull(mail.toAgentId), eq(mail.taskId, agent.taskId))
      : agent.kind === 'supervisor' && agent.epicId !== null
        ? and(isNull(mail.toAgentId), isNull(mail.taskId), eq(mail.epicId, agent.epicId))
        : undefined;
  const claimed = await db
    .update(mail)
    .set({ readAt: new Date(), toAgentId: agentId })
    .where(
      and(
        isNull(mail.readAt),
        eq(mail.isForHuman, false),
        leftForWork ? or(forAgent, leftForWork) : forAgent,
      ),
    )
    .returning();
  return claimed.sort((a, b) => a.id - b.id);
}

/** Unread messages for an agent, without claiming them (status, tests). */
export async function unreadMailCount(db: Database, agentId: number): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(mail)
    .where(and(eq(mail.toAgentId, agentId), isNull(mail.readAt)));
  return row?.count ?? 0;
}

export type OutgoingMail = Omit<NewMail, 'id' | 'createdAt' | 'githubCommentId'> & {
  dedupeKey: string;
};

/** Records a message Factory sends; the same dedupe key returns the row recorded before. */
export async function recordOutgoingMail(
  db: Database,
  message: OutgoingMail,
): Promise<{ mail: Mail; created: boolean }> {
  const [inserted] = await db
    .insert(mail)
    .values(message)
    .onConflictDoNothing({ target: mail.dedupeKey })
    .returning();
  if (inserted) return { mail: inserted, created: true };
  const [existing] = await db.select().from(mail).where(eq(mail.dedupeKey, message.dedupeKey));
  if (!existing) throw new Error(`Mail ${message.dedupeKey} vanished while recording it`);
  return { mail: existing, created: false };
}

export async function notePostedComment(
  db: Database,
  mailId: number,
  comment: { id: number; url: string },
): Promise<void> {
  await db
    .update(mail)
    .set({ githubCommentId: comment.id, githubCommentUrl: comment.url })
    .where(eq(mail.id, mailId));
}

export async function mailOfEpic(db: Database, epicId: number): Promise<Mail[]> {
  return db.select().from(mail).where(eq(mail.epicId, epicId)).orderBy(asc(mail.id));
}

export async function findMailByDedupeKey(db: Database, key: string): Promise<Mail | undefined> {
  const [row] = await db.select().from(mail).where(eq(mail.dedupeKey, key));
  return row;
}
