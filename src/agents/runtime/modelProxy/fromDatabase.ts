import type { Database } from '../../../db/connection.js';
import { epicCost, recordUsage, taskCost } from '../../../db/usage.js';
import type { Logger } from '../../../logger.js';
import { retryInfrastructure } from '../infrastructureRetry.js';
import type { Upstream } from './forward.js';
import { createModelProxy, type ModelProxy } from './modelProxy.js';

/**
 * The proxy as the app runs it: each served request is one model_usage row
 * (retried while the database is away), and task and epic spend is read from
 * those rows — so the recorded usage is exactly what the proxy served, and a
 * budget sees every run of its task and epic, in any process.
 */
export function databaseModelProxy(options: {
  db: Database;
  log: Logger;
  upstream: Upstream;
  retry?: { tries?: number; baseDelayMs?: number };
}): ModelProxy {
  const { db, log } = options;
  return createModelProxy({
    upstream: options.upstream,
    log,
    record: async (owner, served) => {
      await retryInfrastructure(
        'record a served model request',
        () => recordUsage(db, { ...owner, ...served }),
        { log, ...options.retry },
      );
    },
    spendOf: async (scope, id) => {
      const totals = scope === 'task' ? await taskCost(db, id) : await epicCost(db, id);
      return { costUsd: totals.costUsd, tokens: totals.totalTokens };
    },
  });
}
