import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connection.js';
import {
  agents,
  epics,
  modelUsage,
  tasks,
  type AgentKind,
  type AgentState,
} from '../../db/schema.js';
import type { GitHubLinks } from '../links.js';
import { redactSecrets } from '../redact.js';
import type { AgentRef, AgentSummary, EpicRef, TaskRef, Usage } from './types.js';

/** Everything a read model needs: the database and how to link to GitHub. */
export interface ReadContext {
  db: Database;
  links: GitHubLinks;
}

export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** Aggregates come back as strings from PostgreSQL (bigint, numeric); the page wants numbers. */
export const total = (column: SQL | SQL.Aliased | unknown) =>
  sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);
export const countRows = () => sql<number>`count(*)`.mapWith(Number);

export const usageColumns = {
  costUsd: total(modelUsage.costUsd),
  inputTokens: total(modelUsage.inputTokens),
  outputTokens: total(modelUsage.outputTokens),
  cacheReadTokens: total(modelUsage.cacheReadTokens),
  cacheCreationTokens: total(modelUsage.cacheCreationTokens),
};

export const noUsage: Usage = {
  costUsd: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
};

export async function sumUsage(db: Database, where?: SQL): Promise<Usage> {
  const [row] = await db.select(usageColumns).from(modelUsage).where(where);
  return row ?? noUsage;
}

interface RepoColumns {
  repoOwner: string;
  repoName: string;
}

export function epicRefOf(
  row: { id: number; issueNumber: number; title: string } & RepoColumns,
  links: GitHubLinks,
): EpicRef {
  return {
    id: row.id,
    issueNumber: row.issueNumber,
    title: redactSecrets(row.title),
    issueUrl: links.issue(row.repoOwner, row.repoName, row.issueNumber),
  };
}

export function taskRefOf(
  row: { id: number; issueNumber: number; title: string },
  repo: RepoColumns,
  links: GitHubLinks,
): TaskRef {
  return {
    id: row.id,
    issueNumber: row.issueNumber,
    title: redactSecrets(row.title),
    issueUrl: links.issue(repo.repoOwner, repo.repoName, row.issueNumber),
  };
}

export function agentRefOf(row: {
  id: number | null;
  kind: AgentKind | null;
  state: AgentState | null;
}): AgentRef | null {
  return row.id !== null && row.kind !== null && row.state !== null
    ? { id: row.id, kind: row.kind, state: row.state }
    : null;
}

/**
 * Agents with the epic and task they work on. The epic comes from the agent,
 * or through its task when only the task is set.
 */
export async function selectAgentSummaries(
  ctx: ReadContext,
  where: SQL | undefined,
  limit: number,
): Promise<AgentSummary[]> {
  const rows = await ctx.db
    .select({
      agent: agents,
      epic: {
        id: epics.id,
        issueNumber: epics.issueNumber,
        title: epics.title,
        repoOwner: epics.repoOwner,
        repoName: epics.repoName,
      },
      task: { id: tasks.id, issueNumber: tasks.issueNumber, title: tasks.title },
    })
    .from(agents)
    .leftJoin(tasks, sql`${tasks.id} = ${agents.taskId}`)
    .leftJoin(epics, sql`${epics.id} = coalesce(${agents.epicId}, ${tasks.epicId})`)
    .where(where)
    .orderBy(sql`${agents.updatedAt} desc`, sql`${agents.id} desc`)
    .limit(limit);
  return rows.map(({ agent, epic, task }) => ({
    id: agent.id,
    kind: agent.kind,
    state: agent.state,
    epic: epic ? epicRefOf(epic, ctx.links) : null,
    task: task && epic ? taskRefOf(task, epic, ctx.links) : null,
    lastHeartbeatAt: iso(agent.lastHeartbeatAt),
    failureReason: agent.failureReason === null ? null : redactSecrets(agent.failureReason),
    updatedAt: iso(agent.updatedAt),
  }));
}
