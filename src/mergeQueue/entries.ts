import { and, asc, eq, max, sql } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { mergeQueueEntries, tasks, type MergeQueueEntry, type Task } from '../db/schema.js';
import type { NextStep } from './nextStep.js';
import { orderQueue } from './queueOrder.js';

/** The epic's PR queue as records: entering it, its order, and what became of each entry. */

export interface QueuedPr {
  entry: MergeQueueEntry;
  task: Task;
}

/**
 * Puts a task's PR at the end of its epic's queue (called when the task enters
 * REVIEW). Idempotent: a task already queued keeps its place; one that left the
 * queue (removed, or its PR replaced) is queued again at the end.
 */
export async function enterMergeQueue(
  db: Database,
  input: { epicId: number; taskId: number; prNumber: number },
): Promise<MergeQueueEntry> {
  const [existing] = await db
    .select()
    .from(mergeQueueEntries)
    .where(eq(mergeQueueEntries.taskId, input.taskId));
  if (existing?.state === 'queued' && existing.prNumber === input.prNumber) return existing;
  if (existing?.state === 'merged') return existing;
  // Two tasks of one epic entering at once would read the same last position: the
  // position is taken and written under a per-epic lock, so each gets its own place.
  const row = await db.transaction(async (tx) => {
    const locked = tx as unknown as Database;
    await locked.execute(
      sql`select pg_advisory_xact_lock(hashtext('factory:merge-queue-position'), ${input.epicId}::int)`,
    );
    const position = await nextPosition(locked, input.epicId);
    const [written] = await locked
      .insert(mergeQueueEntries)
      .values({ ...input, position })
      .onConflictDoUpdate({
        target: mergeQueueEntries.taskId,
        set: {
          prNumber: input.prNumber,
          position,
          state: 'queued',
          approvedSha: null,
          reworkRounds: 0,
          conflictOnBaseSha: null,
          speculatedOnSha: null,
          speculatedFromSha: null,
          enqueuedAt: new Date(),
        },
        setWhere: sql`${mergeQueueEntries.state} <> 'merged'`,
      })
      .returning();
    return written;
  });
  if (row) return row;
  const [now] = await db
    .select()
    .from(mergeQueueEntries)
    .where(eq(mergeQueueEntries.taskId, input.taskId));
  if (!now) throw new Error(`Could not queue the PR of task ${input.taskId}`);
  return now;
}

async function nextPosition(db: Database, epicId: number): Promise<number> {
  const [row] = await db
    .select({ last: max(mergeQueueEntries.position) })
    .from(mergeQueueEntries)
    .where(eq(mergeQueueEntries.epicId, epicId));
  return (row?.last ?? -1) + 1;
}

/** The queued PRs of an epic in merge order, the head first, and those waiting on a dependency. */
export async function epicQueue(db: Database, epicId: number) {
  const rows = await db
    .select({ entry: mergeQueueEntries, task: tasks })
    .from(mergeQueueEntries)
    .innerJoin(tasks, eq(tasks.id, mergeQueueEntries.taskId))
    .where(and(eq(mergeQueueEntries.epicId, epicId), eq(mergeQueueEntries.state, 'queued')))
    .orderBy(asc(mergeQueueEntries.position));
  const completed = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.epicId, epicId), eq(tasks.state, 'COMPLETED')));
  const items = rows.map((row) => ({
    entryId: row.entry.id,
    taskId: row.task.id,
    position: row.entry.position,
    dependsOn: row.task.dependsOn,
    pr: row,
  }));
  const order = orderQueue(items, new Set(completed.map((c) => c.id)));
  return {
    ordered: order.ordered.map((i) => i.pr),
    waiting: order.waiting.map((w) => ({ ...w.item.pr, missing: w.missing })),
    head: order.head?.pr,
  };
}

export async function getEntry(db: Database, entryId: number): Promise<MergeQueueEntry> {
  const [row] = await db.select().from(mergeQueueEntries).where(eq(mergeQueueEntries.id, entryId));
  if (!row) throw new Error(`Merge queue entry ${entryId} does not exist`);
  return row;
}

export async function noteStep(db: Database, entryId: number, step: NextStep): Promise<void> {
  await db
    .update(mergeQueueEntries)
    .set({ lastStep: step.kind, lastStepReason: step.reason, lastStepAt: new Date() })
    .where(eq(mergeQueueEntries.id, entryId));
}

export async function recordConflict(db: Database, entryId: number, baseSha: string | null) {
  await db
    .update(mergeQueueEntries)
    .set({ conflictOnBaseSha: baseSha })
    .where(eq(mergeQueueEntries.id, entryId));
}

export async function recordApproval(db: Database, entryId: number, sha: string) {
  await db
    .update(mergeQueueEntries)
    .set({ approvedSha: sha })
    .where(eq(mergeQueueEntries.id, entryId));
}

/** Leaves the queue; false when it had already left (another process got there first). */
export async function leaveQueue(
  db: Database,
  entryId: number,
  outcome: { state: 'merged'; sha: string | null } | { state: 'removed' },
): Promise<boolean> {
  const rows = await db
    .update(mergeQueueEntries)
    .set(
      outcome.state === 'merged'
        ? { state: 'merged', mergedAt: new Date(), mergedSha: outcome.sha }
        : { state: 'removed' },
    )
    .where(and(eq(mergeQueueEntries.id, entryId), eq(mergeQueueEntries.state, 'queued')))
    .returning({ id: mergeQueueEntries.id });
  return rows.length > 0;
}
