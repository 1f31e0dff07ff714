import { desc, inArray } from 'drizzle-orm';
import { decisionLog } from '../../db/schema.js';
import { recoveringFrom } from '../../domain/recovery.js';
import { redactSecrets } from '../redact.js';
import { iso, type ReadContext } from './shared.js';
import type { RecoveringView } from './types.js';

/**
 * Which of these epics (or tasks) are recovering from a crash: their latest
 * decision is a takeover or repair (domain/recovery.ts). One query: the
 * latest decision of each.
 */
export async function readRecovering(
  ctx: ReadContext,
  of: 'epic' | 'task',
  ids: number[],
): Promise<Map<number, RecoveringView>> {
  const recovering = new Map<number, RecoveringView>();
  if (ids.length === 0) return recovering;
  const column = of === 'epic' ? decisionLog.epicId : decisionLog.taskId;
  const latest = await ctx.db
    .selectDistinctOn([column], {
      id: column,
      decision: decisionLog.decision,
      reasoning: decisionLog.reasoning,
      createdAt: decisionLog.createdAt,
    })
    .from(decisionLog)
    .where(inArray(column, ids))
    .orderBy(column, desc(decisionLog.id));
  for (const row of latest) {
    const found = recoveringFrom(row);
    if (row.id === null || !found) continue;
    recovering.set(row.id, {
      decision: redactSecrets(found.decision),
      reason: redactSecrets(found.reason),
      since: iso(found.since),
    });
  }
  return recovering;
}
