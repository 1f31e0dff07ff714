import { describe, expect, it } from 'vitest';
import { decideBudget } from '../../../../../src/agents/runtime/modelProxy/budgetDecision.js';

const spend = (costUsd: number, tokens = 0) => ({ costUsd, tokens });

describe('decideBudget', () => {
  it('forwards while every spend is under its budget', () => {
    expect(
      decideBudget(
        { run: spend(9.99, 10), task: spend(1), epic: spend(2) },
        { run: { usd: 10 }, task: { usd: 5 }, epic: { usd: 50, tokens: 1000 } },
      ),
    ).toEqual({ forward: true });
  });

  it('refuses at the run cap, naming the setting and the figures', () => {
    const decision = decideBudget({ run: spend(10) }, { run: { usd: 10 } });
    expect(decision).toMatchObject({
      forward: false,
      cut: { scope: 'run', limit: 'usd', spent: 10, budget: 10, setting: 'AGENT_RUN_BUDGET_USD' },
    });
    if (decision.forward) throw new Error('forwarded');
    expect(decision.cut.message).toContain('$10.0000 spent of its $10.00 budget');
    expect(decision.cut.message).toContain('AGENT_RUN_BUDGET_USD');
  });

  it('counts tokens against a token cap', () => {
    const decision = decideBudget({ run: spend(0, 1500) }, { run: { tokens: 1500 } });
    expect(decision).toMatchObject({
      forward: false,
      cut: { scope: 'run', limit: 'tokens', setting: 'AGENT_RUN_BUDGET_TOKENS' },
    });
  });

  it('refuses for the task budget of budget.task in the repository config', () => {
    const decision = decideBudget(
      { run: spend(0.1), task: spend(2, 100) },
      { run: { usd: 10 }, task: { usd: 2 } },
    );
    expect(decision).toMatchObject({
      forward: false,
      cut: { scope: 'task', setting: 'budget.task.usd in .github/factory.yml' },
    });
  });

  it('names the epic when the epic and the run are both reached', () => {
    const decision = decideBudget(
      { run: spend(10), task: spend(10), epic: spend(0, 5000) },
      { run: { usd: 10 }, task: { usd: 20 }, epic: { tokens: 5000 } },
    );
    expect(decision).toMatchObject({
      forward: false,
      cut: { scope: 'epic', limit: 'tokens', setting: 'budget.tokens in .github/factory.yml' },
    });
  });

  it('has no limit where no budget is set, nor where the spend is unknown', () => {
    expect(decideBudget({ run: spend(1e6, 1e9) }, { run: {} })).toEqual({ forward: true });
    expect(decideBudget({ run: spend(0) }, { run: {}, task: { usd: 1 } })).toEqual({
      forward: true,
    });
  });
});
