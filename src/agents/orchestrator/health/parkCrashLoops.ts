import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { epicStateMachine } from '../../../domain/epicStateMachine.js';
import { epics, escalations } from '../../../db/schema.js';
import { escalate } from '../escalation/escalate.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { recordDecision } from '../orchestratorAgent.js';
import { findCrashLoops } from './crashLoop.js';
import { recentFailures } from './recoverDeadAgents.js';

/**
 * An epic whose agents died in CRASH_LOOP_FAILURES crashes within
 * CRASH_LOOP_WINDOW_MINUTES is parked BLOCKED — nothing of it starts until a
 * person looks — and escalated once.
 */
export async function parkCrashLoops(deps: OrchestratorDeps): Promise<number[]> {
  const now = deps.now();
  const rule = {
    failures: deps.env.CRASH_LOOP_FAILURES,
    windowMinutes: deps.env.CRASH_LOOP_WINDOW_MINUTES,
    // An agent is found dead only after this much silence, so agents killed by one crash are
    // found within it of each other.
    sameCrashSeconds: deps.env.HEARTBEAT_TIMEOUT_SECONDS,
  };
  const since = new Date(now.getTime() - rule.windowMinutes * 60_000);
  // Failures from before a person resumed the epic (resolving its crash-loop escalation) were looked at.
  const resumedAt = await crashLoopsResolvedAt(deps);
  const failures = (await recentFailures(deps, since)).filter(
    (failure) => failure.at > (resumedAt.get(failure.epicId) ?? since),
  );
  const looping = findCrashLoops(failures, now, rule);
  if (looping.length === 0) return [];
  const parkable = await deps.db
    .select()
    .from(epics)
    .where(
      and(inArray(epics.id, looping), inArray(epics.state, ['PLANNING', 'IN_PROGRESS', 'BLOCKED'])),
    );
  const parked: number[] = [];
  for (const epic of parkable) {
    const reason = `agents died in ${rule.failures} or more crashes within ${rule.windowMinutes} minutes (a crash loop)`;
    if (epic.state !== 'BLOCKED') {
      const [moved] = await deps.db
        .update(epics)
        .set({ state: epicStateMachine.transition(epic.state, 'BLOCKED'), blockedReason: reason })
        .where(and(eq(epics.id, epic.id), eq(epics.state, epic.state)))
        .returning({ id: epics.id });
      if (!moved) continue;
      parked.push(epic.id);
      deps.log.warn({ epic: epic.id }, 'crash loop: epic parked BLOCKED');
      await recordDecision(deps.db, {
        installationId: epic.installationId,
        epicId: epic.id,
        decision: 'park-epic',
        reasoning: reason,
        context: { rule },
      });
    }
    // Also for an epic already BLOCKED: a crash right after parking must not leave people untold.
    const config = await deps.repoConfigs(epic);
    await escalate(deps, {
      epic,
      cause: 'crash-loop',
      labels: config.labels,
      message: `Its agents died in ${rule.failures} or more crashes within ${rule.windowMinutes} minutes, so the epic is parked as BLOCKED instead of burning more attempts. Look at the failed tasks and the logs, fix the cause, then comment \`/factory resume\`.`,
    });
  }
  return parked;
}

/** When a person last resolved each epic's crash-loop escalation (`/factory resume`). */
async function crashLoopsResolvedAt(deps: OrchestratorDeps): Promise<Map<number, Date>> {
  const rows = await deps.db
    .select({ epicId: escalations.epicId, resolvedAt: escalations.resolvedAt })
    .from(escalations)
    .where(and(eq(escalations.cause, 'crash-loop'), isNotNull(escalations.resolvedAt)));
  return new Map(rows.flatMap((row) => (row.resolvedAt ? [[row.epicId, row.resolvedAt]] : [])));
}
