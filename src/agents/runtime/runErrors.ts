import type { BudgetCut } from './modelProxy/budgetDecision.js';

/** Why the runner itself stopped a run (as opposed to the engine failing). */

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** The model proxy refused a request of the run: a budget is reached. */
export class BudgetReachedError extends Error {
  override name = 'BudgetReachedError';
  constructor(readonly cut: BudgetCut) {
    super(cut.message);
  }
}

/** A structured result stayed invalid after its corrective turn. */
export class InvalidOutputError extends Error {
  override name = 'InvalidOutputError';
}
