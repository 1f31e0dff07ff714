import { and, desc, eq, or, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { agents, decisionLog, epics, mail, tasks } from '../../db/schema.js';
import { safeHttpUrl } from '../links.js';
import { clip, redactSecrets } from '../redact.js';
import { agentRefOf, iso, taskRefOf, type ReadContext } from './shared.js';
import type { TimelineItem } from './types.js';

/** Which part of the history to show: one epic's, one agent's, or everything recent. */
export type TimelineScope = { epicId: number } | { agentId: number } | Record<string, never>;

const reasoningLimit = 2_000;
const bodyLimit = 2_000;

const fromAgent = alias(agents, 'from_agent');
const toAgent = alias(agents, 'to_agent');

/** Decisions and mail, newest first, interleaved by time. */
export async function readTimeline(
  ctx: ReadContext,
  scope: TimelineScope,
  limit: number,
): Promise<TimelineItem[]> {
  const [decisions, letters] = await Promise.all([
    readDecisions(ctx, scope, limit),
    readMail(ctx, scope, limit),
  ]);
  return [...decisions, ...letters]
    .sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id)
    .slice(0, limit);
}

function decisionScope(scope: TimelineScope): SQL | undefined {
  if ('epicId' in scope && scope.epicId !== undefined) return eq(decisionLog.epicId, scope.epicId);
  if ('agentId' in scope && scope.agentId !== undefined)
    return eq(decisionLog.agentId, scope.agentId);
  return undefined;
}

function mailScope(scope: TimelineScope): SQL | undefined {
  if ('epicId' in scope && scope.epicId !== undefined) return eq(mail.epicId, scope.epicId);
  if ('agentId' in scope && scope.agentId !== undefined)
    return or(eq(mail.fromAgentId, scope.agentId), eq(mail.toAgentId, scope.agentId));
  return undefined;
}

async function readDecisions(
  ctx: ReadContext,
  scope: TimelineScope,
  limit: number,
): Promise<TimelineItem[]> {
  const rows = await ctx.db
    .select({
      entry: decisionLog,
      agent: { id: agents.id, kind: agents.kind, state: agents.state },
      task: { id: tasks.id, issueNumber: tasks.issueNumber, title: tasks.title },
      repo: { repoOwner: epics.repoOwner, repoName: epics.repoName },
    })
    .from(decisionLog)
    .leftJoin(agents, eq(agents.id, decisionLog.agentId))
    .leftJoin(tasks, eq(tasks.id, decisionLog.taskId))
    .leftJoin(epics, eq(epics.id, decisionLog.epicId))
    .where(and(decisionScope(scope)))
    .orderBy(desc(decisionLog.createdAt), desc(decisionLog.id))
    .limit(limit);
  return rows.map(({ entry, agent, task, repo }) => ({
    kind: 'decision' as const,
    id: entry.id,
    at: iso(entry.createdAt),
    agent: agent ? agentRefOf(agent) : null,
    task: task && repo ? taskRefOf(task, repo, ctx.links) : null,
    decision: redactSecrets(entry.decision),
    reasoning: clip(redactSecrets(entry.reasoning), reasoningLimit),
  }));
}

async function readMail(
  ctx: ReadContext,
  scope: TimelineScope,
  limit: number,
): Promise<TimelineItem[]> {
  const rows = await ctx.db
    .select({
      letter: mail,
      from: { id: fromAgent.id, kind: fromAgent.kind, state: fromAgent.state },
      to: { id: toAgent.id, kind: toAgent.kind, state: toAgent.state },
      task: { id: tasks.id, issueNumber: tasks.issueNumber, title: tasks.title },
      repo: { repoOwner: epics.repoOwner, repoName: epics.repoName },
    })
    .from(mail)
    .leftJoin(fromAgent, eq(fromAgent.id, mail.fromAgentId))
    .leftJoin(toAgent, eq(toAgent.id, mail.toAgentId))
    .leftJoin(tasks, eq(tasks.id, mail.taskId))
    .leftJoin(epics, eq(epics.id, mail.epicId))
    .where(and(mailScope(scope)))
    .orderBy(desc(mail.createdAt), desc(mail.id))
    .limit(limit);
  return rows.map(({ letter, from, to, task, repo }) => ({
    kind: 'mail' as const,
    id: letter.id,
    at: iso(letter.createdAt),
    from: {
      agent: from ? agentRefOf(from) : null,
      human: letter.fromHuman === null ? null : redactSecrets(letter.fromHuman),
    },
    to: to ? agentRefOf(to) : null,
    isForHuman: letter.isForHuman,
    task: task && repo ? taskRefOf(task, repo, ctx.links) : null,
    subject: redactSecrets(letter.subject),
    body: clip(redactSecrets(letter.body), bodyLimit),
    commentUrl: safeHttpUrl(letter.githubCommentUrl),
    read: letter.readAt !== null,
  }));
}
