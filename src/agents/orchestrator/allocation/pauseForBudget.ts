import { and, eq, isNull } from 'drizzle-orm';
import { epics, type Epic } from '../../../db/schema.js';
import type { FactoryDeps } from '../../../deps.js';
import { tellPeople } from '../escalation/tellPeople.js';
import { recordDecision } from '../orchestratorAgent.js';
import type { BudgetVerdict } from './budget.js';

/**
 * The one way an epic is paused for its budget, whoever found it reached: the
 * allocation pass between runs, or the model proxy cutting a run mid-way
 * (worker/parkForBudget.ts). Returns whether this call paused it.
 */
export async function pauseForBudget(
  deps: FactoryDeps,
  epic: Epic,
  budget: Extract<BudgetVerdict, { reached: true }>,
  now: Date,
): Promise<boolean> {
  if (epic.pausedAt === null) {
    const reason = `budget reached: the epic ${budget.message}`;
    const [paused] = await deps.db
      .update(epics)
      .set({ pausedAt: now, pausedReason: reason })
      .where(and(eq(epics.id, epic.id), isNull(epics.pausedAt)))
      .returning({ id: epics.id });
    if (!paused) return false;
    await recordDecision(deps.db, {
      installationId: epic.installationId,
      epicId: epic.id,
      decision: 'pause-epic:budget',
      reasoning: reason,
      context: { ...budget },
    });
  } else if (!epic.pausedReason?.startsWith('budget reached')) {
    return false; // paused by a person: they know already
  }
  await tellPeople(deps, {
    epic,
    dedupeKey: `budget-${epic.id}-${budget.limit}-${budget.budget}`,
    subject: 'Budget reached',
    body: `**Paused: budget reached.** This epic ${budget.message} (\`budget.${budget.limit}\` in \`.github/factory.yml\`). No new work starts; work already running finishes. Raise the budget and comment \`/factory resume\` to go on.`,
  });
  return epic.pausedAt === null;
}
