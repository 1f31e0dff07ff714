import { eq } from 'drizzle-orm';
import { crashPoint } from '../../crashPoint.js';
import { mergeQueueEntries, tasks } from '../../db/schema.js';
import { recordConflict } from '../entries.js';
import { underEntryLease } from '../entryLease.js';
import type { SpeculateStep } from '../speculate.js';
import { logDecision, shortSha, type StepContext } from './context.js';
import { branchTarget } from './update.js';

/**
 * Builds the next PR's branch on the head PR's commit (speculative CI): the
 * push starts its checks now, while the head's run. Under the entry's lease,
 * like any update. A conflict is remembered against the head's commit so it
 * is not tried again; the PR is then updated in its turn, as without speculation.
 */
export async function speculateNext(
  ctx: StepContext,
  step: Extract<SpeculateStep, { kind: 'speculate' }>,
): Promise<'speculated' | 'conflict' | 'busy' | 'moved'> {
  const { deps, entry, read } = ctx;
  const key = `speculate-${read.headSha}`;
  const outcome = await underEntryLease(ctx, key, async () => {
    const update = await deps.git.updateBranch(branchTarget(ctx), step.method, read.headSha, {
      onto: step.onSha,
      from: step.fromSha,
    });
    if (update.outcome === 'conflict') {
      await recordConflict(deps.db, entry.id, step.onSha);
      return 'conflict' as const;
    }
    if (update.outcome !== 'updated') return 'moved' as const;
    crashPoint(deps.env, 'speculate');
    await deps.db
      .update(mergeQueueEntries)
      .set({ speculatedOnSha: step.onSha, speculatedFromSha: step.fromSha })
      .where(eq(mergeQueueEntries.id, entry.id));
    await deps.db.update(tasks).set({ headSha: update.headSha }).where(eq(tasks.id, ctx.task.id));
    await logDecision(
      ctx,
      `speculate: ${step.method}`,
      `${read.headBranch} built on the head PR's ${shortSha(step.onSha)} so its checks run while the head's do`,
      { pr: entry.prNumber, from: step.fromSha, to: update.headSha, on: step.onSha },
    );
    return 'speculated' as const;
  });
  return outcome.held ? outcome.value : 'busy';
}
