/**
 * May the proxy forward the next model request of a run? Pure: given what the
 * run, its task and its epic have spent (as the proxy counted it) and their
 * budgets. Checked before every request, so a budget is overshot by at most
 * the one request that crossed it — the engine never gets another.
 */

export interface Limits {
  usd?: number;
  tokens?: number;
}

export interface Spend {
  costUsd: number;
  /** Every token the model read or wrote, cached reads included (they are billed). */
  tokens: number;
}

export type BudgetScope = 'run' | 'task' | 'epic';

export interface RunBudgets {
  run: Limits;
  task?: Limits;
  epic?: Limits;
}

export interface RunSpend {
  run: Spend;
  task?: Spend;
  epic?: Spend;
}

export interface BudgetCut {
  scope: BudgetScope;
  limit: 'usd' | 'tokens';
  spent: number;
  budget: number;
  /** Where the budget is set, for people: `budget.task.usd in .github/factory.yml`. */
  setting: string;
  message: string;
}

export type BudgetDecision = { forward: true } | { forward: false; cut: BudgetCut };

const settings: Record<BudgetScope, Record<'usd' | 'tokens', string>> = {
  run: { usd: 'AGENT_RUN_BUDGET_USD', tokens: 'AGENT_RUN_BUDGET_TOKENS' },
  task: {
    usd: 'budget.task.usd in .github/factory.yml',
    tokens: 'budget.task.tokens in .github/factory.yml',
  },
  epic: {
    usd: 'budget.usd in .github/factory.yml',
    tokens: 'budget.tokens in .github/factory.yml',
  },
};

/**
 * The widest budget reached wins: an epic's budget stops the whole epic, so it
 * is the one people must hear about even when the run's cap is reached too.
 */
const order: BudgetScope[] = ['epic', 'task', 'run'];

export function decideBudget(spend: RunSpend, budgets: RunBudgets): BudgetDecision {
  for (const scope of order) {
    const limits = budgets[scope];
    const spent = spend[scope];
    if (!limits || !spent) continue;
    const cut = limitReached(scope, spent, limits);
    if (cut) return { forward: false, cut };
  }
  return { forward: true };
}

function limitReached(scope: BudgetScope, spent: Spend, limits: Limits): BudgetCut | undefined {
  if (limits.usd !== undefined && spent.costUsd >= limits.usd) {
    return cut(scope, 'usd', spent.costUsd, limits.usd);
  }
  if (limits.tokens !== undefined && spent.tokens >= limits.tokens) {
    return cut(scope, 'tokens', spent.tokens, limits.tokens);
  }
  return undefined;
}

function cut(
  scope: BudgetScope,
  limit: 'usd' | 'tokens',
  spent: number,
  budget: number,
): BudgetCut {
  const setting = settings[scope][limit];
  const figures =
    limit === 'usd'
      ? `$${spent.toFixed(4)} spent of its $${budget.toFixed(2)} budget`
      : `${spent.toLocaleString('en-US')} tokens used of its ${budget.toLocaleString('en-US')} token budget`;
  return {
    scope,
    limit,
    spent,
    budget,
    setting,
    message: `Budget reached: the ${scope} has ${figures} (${setting}). Factory's model proxy refuses further requests.`,
  };
}
