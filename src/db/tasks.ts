import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { taskStateMachine } from '../domain/taskStateMachine.js';
import type { Database } from './connection.js';
import { epics, tasks, type NewTask, type Task, type TaskState } from './schema.js';
import {
  expectedStates,
  RecordNotFoundError,
  StaleStateError,
  type TransitionOptions,
} from './staleState.js';

export type TaskIssue = Pick<NewTask, 'epicId' | 'issueNumber' | 'issueId' | 'title'> &
  Partial<
    Pick<NewTask, 'description' | 'acceptanceCriteria' | 'planKey' | 'dependsOn' | 'position'>
  >;

/**
 * The Task of a sub-issue, created PENDING the first time it is seen — by the
 * supervisor creating it or by a person adding it by hand. Later calls return
 * the existing row unchanged, so both paths and any retry meet on one row.
 */
export async function upsertTaskFromIssue(
  db: Database,
  issue: TaskIssue,
): Promise<{ task: Task; created: boolean }> {
  const [inserted] = await db
    .insert(tasks)
    .values(issue)
    .onConflictDoNothing({ target: [tasks.epicId, tasks.issueNumber] })
    .returning();
  if (inserted) return { task: inserted, created: true };
  const existing = await findTaskByIssue(db, issue.epicId, issue.issueNumber);
  if (!existing) throw new Error(`Task for issue #${issue.issueNumber} vanished while upserting`);
  return { task: existing, created: false };
}

export async function getTask(db: Database, id: number): Promise<Task> {
  const [row] = await db.select().from(tasks).where(eq(tasks.id, id));
  if (!row) throw new RecordNotFoundError('Task', id);
  return row;
}

export async function findTask(db: Database, id: number): Promise<Task | undefined> {
  const [row] = await db.select().from(tasks).where(eq(tasks.id, id));
  return row;
}

export async function findTaskByIssue(
  db: Database,
  epicId: number,
  issueNumber: number,
): Promise<Task | undefined> {
  const [row] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.epicId, epicId), eq(tasks.issueNumber, issueNumber)));
  return row;
}

/** The task whose pull request this is, in that repository. */
export async function findTaskByPullRequest(
  db: Database,
  repoId: number,
  prNumber: number,
): Promise<Task | undefined> {
  const [row] = await db
    .select({ task: tasks })
    .from(tasks)
    .innerJoin(epics, eq(tasks.epicId, epics.id))
    .where(and(eq(epics.repoId, repoId), eq(tasks.prNumber, prNumber)));
  return row?.task;
}

/** The position after the epic's last task: where a task added by hand goes. */
export async function nextTaskPosition(db: Database, epicId: number): Promise<number> {
  const [row] = await db
    .select({ last: sql`coalesce(max(${tasks.position}), 0)`.mapWith(Number) })
    .from(tasks)
    .where(eq(tasks.epicId, epicId));
  return (row?.last ?? 0) + 1;
}

/** The epic's tasks in plan order. */
export async function listTasksOfEpic(
  db: Database,
  epicId: number,
  filter: { states?: readonly TaskState[] } = {},
): Promise<Task[]> {
  const conditions: SQL[] = [eq(tasks.epicId, epicId)];
  if (filter.states) conditions.push(inArray(tasks.state, [...filter.states]));
  return db
    .select()
    .from(tasks)
    .where(and(...conditions))
    .orderBy(asc(tasks.position), asc(tasks.id));
}

export type TaskPatch = Partial<
  Omit<NewTask, 'id' | 'state' | 'epicId' | 'issueNumber' | 'createdAt' | 'updatedAt'>
>;

export async function updateTask(db: Database, id: number, patch: TaskPatch): Promise<Task> {
  const [row] = await db.update(tasks).set(patch).where(eq(tasks.id, id)).returning();
  if (!row) throw new RecordNotFoundError('Task', id);
  return row;
}

/**
 * The only way a task's state changes (see transitionEpic). `patch` is written
 * in the same guarded UPDATE, e.g. the PR number with the move to REVIEW.
 */
export async function transitionTask(
  db: Database,
  id: number,
  to: TaskState,
  options: TransitionOptions<TaskState> & { patch?: TaskPatch } = {},
): Promise<Task> {
  const current = await getTask(db, id);
  const expected = expectedStates(options.from);
  if (expected && !expected.includes(current.state)) {
    throw new StaleStateError('Task', id, expected.join(' or '), current.state);
  }
  taskStateMachine.transition(current.state, to);
  const [row] = await db
    .update(tasks)
    .set({
      ...options.patch,
      state: to,
      blockedReason: to === 'BLOCKED' ? (options.reason ?? 'blocked') : null,
      ...(to === 'FAILED' ? { failureReason: options.reason ?? 'failed' } : {}),
      ...(to === 'COMPLETED' ? { completedAt: new Date() } : {}),
    })
    .where(and(eq(tasks.id, id), eq(tasks.state, current.state)))
    .returning();
  if (!row) {
    const now = await findTask(db, id);
    throw new StaleStateError('Task', id, current.state, now?.state);
  }
  return row;
}
