import { describe, expect, it } from 'vitest';
import { checkBudget } from '../../../../../src/agents/orchestrator/allocation/budget.js';

describe('checkBudget', () => {
  it('has no limit when no budget is configured', () => {
    expect(checkBudget({ costUsd: 1e6, tokens: 1e9 }, {})).toEqual({ reached: false });
  });

  it('stops at the USD budget, inclusive', () => {
    expect(checkBudget({ costUsd: 4.99, tokens: 0 }, { usd: 5 }).reached).toBe(false);
    expect(checkBudget({ costUsd: 5, tokens: 0 }, { usd: 5 })).toMatchObject({
      reached: true,
      limit: 'usd',
      message: 'spent $5.00 of its $5.00 budget',
    });
  });

  it('stops at the token budget', () => {
    expect(checkBudget({ costUsd: 0, tokens: 999 }, { tokens: 1000 }).reached).toBe(false);
    expect(checkBudget({ costUsd: 0, tokens: 1500 }, { tokens: 1000 })).toMatchObject({
      reached: true,
      limit: 'tokens',
      message: 'used 1,500 of its 1,000 token budget',
    });
  });

  it('reports whichever budget is reached when both are configured', () => {
    expect(checkBudget({ costUsd: 1, tokens: 2000 }, { usd: 10, tokens: 1000 })).toMatchObject({
      limit: 'tokens',
    });
  });
});
