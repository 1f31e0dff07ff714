import type { ServedUsage } from './servedUsage.js';

/**
 * What a request cost, from the proxy's own table (USD per million tokens),
 * so the figure a budget is checked against does not depend on what the
 * engine reports about itself. Models are matched by id prefix, newest first.
 */

export interface Price {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

const table: ReadonlyArray<readonly [prefix: string, price: Price]> = [
  ['claude-opus-4-5', { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 }],
  ['claude-opus-4', { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 }],
  ['claude-3-opus', { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 }],
  ['claude-sonnet-4', { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
  ['claude-3-7-sonnet', { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
  ['claude-3-5-sonnet', { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
  ['claude-haiku-4', { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 }],
  ['claude-3-5-haiku', { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 }],
  ['claude-3-haiku', { input: 0.25, output: 1.25, cacheWrite: 0.3, cacheRead: 0.03 }],
];

/**
 * A model the table does not know is priced as the dearest one it does: a
 * budget may then be reached early, never late. Add the model above to fix that.
 */
export const unknownModelPrice: Price = {
  input: 15,
  output: 75,
  cacheWrite: 18.75,
  cacheRead: 1.5,
};

export function priceOf(model: string): Price {
  return table.find(([prefix]) => model.startsWith(prefix))?.[1] ?? unknownModelPrice;
}

export function costUsd(usage: ServedUsage): number {
  const price = priceOf(usage.model);
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheCreationTokens * price.cacheWrite +
      usage.cacheReadTokens * price.cacheRead) /
    1_000_000
  );
}
