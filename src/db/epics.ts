import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import { epicStateMachine } from '../domain/epicStateMachine.js';
import type { Database } from './connection.js';
import { epics, type Epic, type EpicState, type NewEpic } from './schema.js';
import {
  expectedStates,
  RecordNotFoundError,
  StaleStateError,
  type TransitionOptions,
} from './staleState.js';

export type EpicIssue = Pick<
  NewEpic,
  'installationId' | 'repoId' | 'repoOwner' | 'repoName' | 'issueNumber' | 'issueId' | 'title'
> & { body?: string | null };

/**
 * The Epic of an issue, created in PLANNING the first time the issue is
 * labelled; later calls return the existing row unchanged (`created: false`).
 */
export async function upsertEpicFromIssue(
  db: Database,
  issue: EpicIssue,
): Promise<{ epic: Epic; created: boolean }> {
  const [inserted] = await db
    .insert(epics)
    .values({ ...issue, body: issue.body ?? '' })
    .onConflictDoNothing({ target: [epics.repoId, epics.issueNumber] })
    .returning();
  if (inserted) return { epic: inserted, created: true };
  const existing = await findEpicByIssue(db, issue.repoId, issue.issueNumber);
  if (!existing) throw new Error(`Epic for issue #${issue.issueNumber} vanished while upserting`);
  return { epic: existing, created: false };
}

export async function getEpic(db: Database, id: number): Promise<Epic> {
  const [row] = await db.select().from(epics).where(eq(epics.id, id));
  if (!row) throw new RecordNotFoundError('Epic', id);
  return row;
}

export async function findEpic(db: Database, id: number): Promise<Epic | undefined> {
  const [row] = await db.select().from(epics).where(eq(epics.id, id));
  return row;
}

export async function findEpicByIssue(
  db: Database,
  repoId: number,
  issueNumber: number,
): Promise<Epic | undefined> {
  const [row] = await db
    .select()
    .from(epics)
    .where(and(eq(epics.repoId, repoId), eq(epics.issueNumber, issueNumber)));
  return row;
}

/** By GitHub's global issue id, as sub-issue events name the parent. */
export async function findEpicByIssueId(db: Database, issueId: number): Promise<Epic | undefined> {
  const [row] = await db.select().from(epics).where(eq(epics.issueId, issueId));
  return row;
}

export async function listEpics(
  db: Database,
  filter: { states?: readonly EpicState[]; repoId?: number } = {},
): Promise<Epic[]> {
  const conditions: SQL[] = [];
  if (filter.states) conditions.push(inArray(epics.state, [...filter.states]));
  if (filter.repoId !== undefined) conditions.push(eq(epics.repoId, filter.repoId));
  return db
    .select()
    .from(epics)
    .where(and(...conditions))
    .orderBy(asc(epics.id));
}

/** Fields that change without a state change (plan, progress comment, pause…). */
export type EpicPatch = Partial<
  Omit<NewEpic, 'id' | 'state' | 'repoId' | 'issueNumber' | 'createdAt' | 'updatedAt'>
>;

export async function updateEpic(db: Database, id: number, patch: EpicPatch): Promise<Epic> {
  const [row] = await db.update(epics).set(patch).where(eq(epics.id, id)).returning();
  if (!row) throw new RecordNotFoundError('Epic', id);
  return row;
}

/**
 * The only way an epic's state changes: the state machine decides whether the
 * move is legal, and the write is guarded on the state read, so two processes
 * cannot both move the epic (the loser gets a StaleStateError).
 */
export async function transitionEpic(
  db: Database,
  id: number,
  to: EpicState,
  options: TransitionOptions<EpicState> & { patch?: EpicPatch } = {},
): Promise<Epic> {
  const current = await getEpic(db, id);
  const expected = expectedStates(options.from);
  if (expected && !expected.includes(current.state)) {
    throw new StaleStateError('Epic', id, expected.join(' or '), current.state);
  }
  epicStateMachine.transition(current.state, to);
  const [row] = await db
    .update(epics)
    .set({
      ...options.patch,
      state: to,
      blockedReason: to === 'BLOCKED' ? (options.reason ?? 'blocked') : null,
      ...(to === 'COMPLETED' || to === 'CANCELLED' ? { completedAt: new Date() } : {}),
    })
    .where(and(eq(epics.id, id), eq(epics.state, current.state)))
    .returning();
  if (!row) {
    const now = await findEpic(db, id);
    throw new StaleStateError('Epic', id, current.state, now?.state);
  }
  return row;
}
