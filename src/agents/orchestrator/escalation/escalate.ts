import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import type { RepoConfig } from '../../../config/repoConfig.js';
import { escalations, type Epic } from '../../../db/schema.js';
import type { FactoryDeps } from '../../../deps.js';
import { setStateLabel } from '../../../github/labels.js';
import { tellPeople } from './tellPeople.js';

export interface EscalationRequest {
  epic: Epic;
  /** What went wrong, as a stable key: `crash-loop`, `detach-task:12`, … One escalation per cause. */
  cause: string;
  /** For people: what happened and what they can do. */
  message: string;
  labels: RepoConfig['labels'];
  /** The issue that is blocked and gets the blocked label: the epic (default) or a task's issue. */
  blockedIssueNumber?: number;
}

/**
 * What the orchestrator cannot repair goes to people: a comment on the epic,
 * the blocked label on what is blocked, and an `escalations` row the status
 * page flags. Once per cause — the unique (epic, cause) row is the memory of
 * having said it — and again only after that escalation was resolved.
 */
export async function escalate(
  deps: FactoryDeps,
  request: EscalationRequest,
): Promise<'escalated' | 'already-escalated'> {
  const { epic, cause } = request;
  await deps.db
    .delete(escalations)
    .where(
      and(
        eq(escalations.epicId, epic.id),
        eq(escalations.cause, cause),
        isNotNull(escalations.resolvedAt),
      ),
    );
  const inserted = await deps.db
    .insert(escalations)
    .values({ epicId: epic.id, cause, message: request.message })
    .onConflictDoNothing()
    .returning({ id: escalations.id });
  const [row] = await deps.db
    .select()
    .from(escalations)
    .where(and(eq(escalations.epicId, epic.id), eq(escalations.cause, cause)));
  if (!row) throw new Error(`Escalation ${cause} of epic ${epic.id} vanished`);
  // Finish what a crash may have interrupted: comment and label until the comment id is noted.
  if (row.githubCommentId === null) {
    const posted = await tellPeople(deps, {
      epic,
      dedupeKey: `escalation-${row.id}`,
      subject: `Needs a person: ${cause}`,
      body: `**Factory needs a person here.** ${request.message}`,
    });
    const octokit = await deps.github.forInstallation(epic.installationId);
    await setStateLabel(octokit, {
      owner: epic.repoOwner,
      repo: epic.repoName,
      issueNumber: request.blockedIssueNumber ?? epic.issueNumber,
      labels: request.labels,
      state: 'blocked',
    });
    await deps.db
      .update(escalations)
      .set({ githubCommentId: posted.githubCommentId })
      .where(eq(escalations.id, row.id));
  }
  return inserted.length > 0 ? 'escalated' : 'already-escalated';
}

/**
 * Marks an epic's open escalations resolved (e.g. on `/factory resume`), so a
 * recurrence is reported again. Returns the causes it resolved.
 */
export async function resolveEscalations(
  db: FactoryDeps['db'],
  epicId: number,
  cause?: string,
): Promise<string[]> {
  const open = and(eq(escalations.epicId, epicId), isNull(escalations.resolvedAt));
  const resolved = await db
    .update(escalations)
    .set({ resolvedAt: new Date() })
    .where(cause === undefined ? open : and(open, eq(escalations.cause, cause)))
    .returning({ cause: escalations.cause });
  return resolved.map((row) => row.cause);
}

/** The epic's escalations nobody has resolved yet. */
export async function openEscalationCount(db: FactoryDeps['db'], epicId: number): Promise<number> {
  const rows = await db
    .select({ id: escalations.id })
    .from(escalations)
    .where(and(eq(escalations.epicId, epicId), isNull(escalations.resolvedAt)));
  return rows.length;
}
