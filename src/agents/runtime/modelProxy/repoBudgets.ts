import type { RepoConfig } from '../../../config/repoConfig.js';
import type { Limits } from './budgetDecision.js';

/** The budgets of `.github/factory.yml` as a run's request carries them to the proxy. */
export function repoBudgets(budget: RepoConfig['budget']): { task?: Limits; epic: Limits } {
  return { task: budget.task, epic: { usd: budget.usd, tokens: budget.tokens } };
}
