import path from 'node:path';
import type { Env } from '../../config/env.js';
import type { Database } from '../../db/connection.js';
import type { Logger } from '../../logger.js';
import { startAgentCancelListener, type AgentCancelListener } from './cancellation.js';
import { createJail } from './jail/jail.js';
import { createAgentRunner } from './runner.js';
import type { AgentRunner } from './types.js';

/**
 * The runner as a Factory process runs it, from the validated environment:
 * model key and address, per-run limits (AGENT_TIMEOUT_SECONDS,
 * AGENT_MAX_TURNS, the proxy's per-run cap AGENT_RUN_BUDGET_USD / _TOKENS), and the agents' home under FACTORY_DATA_DIR so sessions
 * survive restarts and can be resumed by any worker process sharing the folder.
 */
export function createAgentRunnerFromEnv(env: Env, db: Database, log: Logger): AgentRunner {
  return createAgentRunner({
    db,
    log: log.child({ part: 'agent-runtime' }),
    model: { apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL },
    timeoutMs: env.AGENT_TIMEOUT_SECONDS * 1000,
    maxTurns: env.AGENT_MAX_TURNS,
    runBudget: { usd: env.AGENT_RUN_BUDGET_USD, tokens: env.AGENT_RUN_BUDGET_TOKENS },
    agentHome: path.resolve(env.FACTORY_DATA_DIR, 'agent-home'),
    jail: createJail({
      mode: env.AGENT_SANDBOX,
      bwrapPath: env.AGENT_SANDBOX_BWRAP,
      log: log.child({ part: 'jail' }),
    }),
  });
}

/** Every process that runs agents listens for cancels said anywhere (see cancellation.ts). */
export function listenForAgentCancels(env: Env, log: Logger): Promise<AgentCancelListener> {
  return startAgentCancelListener({
    redisUrl: env.REDIS_URL,
    prefix: env.REDIS_PREFIX,
    onCancel: (agentId, hadRun) => {
      if (hadRun) log.info({ agentId }, 'agent run cancelled');
    },
  });
}
