import { and, eq, or } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import { epics, tasks } from '../db/schema.js';
import type { CommentPlace } from './routing.js';

/** The epic, or the task (by its issue or its pull request), a number names in a repository. */
export async function findCommentPlace(
  db: Database,
  repoId: number,
  issueNumber: number,
): Promise<CommentPlace> {
  const [epic] = await db
    .select()
    .from(epics)
    .where(and(eq(epics.repoId, repoId), eq(epics.issueNumber, issueNumber)));
  const [taskRow] = await db
    .select({ task: tasks, epic: epics })
    .from(tasks)
    .innerJoin(epics, eq(tasks.epicId, epics.id))
    .where(
      and(
        eq(epics.repoId, repoId),
        or(eq(tasks.issueNumber, issueNumber), eq(tasks.prNumber, issueNumber)),
      ),
    )
    .orderBy(tasks.id)
    .limit(1);
  return { epic, task: taskRow };
}
