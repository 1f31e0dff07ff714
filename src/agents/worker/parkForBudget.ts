import { recordDecision } from '../../db/decisions.js';
import type { Epic, Task } from '../../db/schema.js';
import { transitionTask } from '../../db/tasks.js';
import type { FactoryDeps } from '../../deps.js';
import { checkBudget } from '../orchestrator/allocation/budget.js';
import { pauseForBudget } from '../orchestrator/allocation/pauseForBudget.js';
import { tellPeople } from '../orchestrator/escalation/tellPeople.js';
import type { BudgetCut } from '../runtime/modelProxy/budgetDecision.js';

/**
 * The model proxy cut a run of the task at a budget. That is not the agent's
 * failure and another attempt would be cut the same way, so the task is
 * parked BLOCKED — not retried, not FAILED — with a comment on its issue
 * naming the budget; an epic budget also pauses the epic, the same way the
 * allocation pass does. The comment comes first: once the task reads
 * BLOCKED, the reason is on GitHub.
 */
export async function parkTaskForBudget(
  deps: FactoryDeps,
  { epic, task, cut }: { epic: Epic; task: Task; cut: BudgetCut },
): Promise<void> {
  await recordDecision(deps.db, {
    decision: `task #${task.issueNumber} is parked: the ${cut.scope} budget is reached`,
    reasoning: cut.message,
    context: { attempt: task.attempts, cut },
    agentId: task.assignedAgentId,
    epicId: epic.id,
    taskId: task.id,
  });
  await tellPeople(deps, {
    epic,
    issueNumber: task.issueNumber,
    taskId: task.id,
    dedupeKey: `budget-task-${task.id}-a${task.attempts}-${cut.scope}-${cut.limit}`,
    subject: 'Budget reached',
    body: parkedComment(cut),
  });
  await transitionTask(deps.db, task.id, 'BLOCKED', {
    from: 'IN_PROGRESS',
    reason: cut.message,
  }).catch(() => undefined);
  if (cut.scope === 'epic') {
    const verdict = checkBudget(
      cut.limit === 'usd' ? { costUsd: cut.spent, tokens: 0 } : { costUsd: 0, tokens: cut.spent },
      { [cut.limit]: cut.budget },
    );
    if (verdict.reached) await pauseForBudget(deps, epic, verdict, new Date());
  }
}

export function parkedComment(cut: BudgetCut): string {
  const raise =
    cut.scope === 'run'
      ? `Raise \`${cut.setting}\` in the app's environment`
      : `Raise \`${cut.setting.replace(' in .github/factory.yml', '')}\` in \`.github/factory.yml\``;
  return [
    `**Parked: the ${cut.scope} budget is reached.** ${cut.message}`,
    '',
    `The agent's run was stopped at its next model request and the task is BLOCKED, not failed: another attempt would stop the same way. ${raise}, then comment \`/factory retry\` to start it again.`,
  ].join('\n');
}
