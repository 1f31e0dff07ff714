import type { RepoConfig } from '../../../config/repoConfig.js';

export interface EpicSpend {
  costUsd: number;
  tokens: number;
}

export type BudgetVerdict =
  | { reached: false }
  | { reached: true; limit: 'usd' | 'tokens'; spent: number; budget: number; message: string };

/**
 * Has the epic spent its budget (`budget.usd` / `budget.tokens` in
 * `.github/factory.yml`)? No budget configured means no limit. Tokens count
 * everything the model read or wrote, cached reads included, since they are billed.
 */
export function checkBudget(spend: EpicSpend, budget: RepoConfig['budget']): BudgetVerdict {
  if (budget.usd !== undefined && spend.costUsd >= budget.usd) {
    return {
      reached: true,
      limit: 'usd',
      spent: spend.costUsd,
      budget: budget.usd,
      message: `spent $${spend.costUsd.toFixed(2)} of its $${budget.usd.toFixed(2)} budget`,
    };
  }
  if (budget.tokens !== undefined && spend.tokens >= budget.tokens) {
    return {
      reached: true,
      limit: 'tokens',
      spent: spend.tokens,
      budget: budget.tokens,
      message: `used ${spend.tokens.toLocaleString('en-US')} of its ${budget.tokens.toLocaleString('en-US')} token budget`,
    };
  }
  return { reached: false };
}
