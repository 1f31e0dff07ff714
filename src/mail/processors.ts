import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { FlowServices } from '../agents/flow/services.js';
import { publishAgentCancel } from '../agents/runtime/cancellation.js';
import type { FactoryDeps } from '../deps.js';
import type { JobProcessors } from '../queues/workers.js';
import { handleComment } from './handleComment.js';
import type { MailOptions } from './mailContext.js';
import { PermissionCache } from './permissionCache.js';
import { sessionDirectory } from './sessionPlace.js';

/** The mail queue's processors. Options hook mail into the parts that own the work. */
export function mailProcessors(
  deps: FactoryDeps,
  overrides: Partial<MailOptions> = {},
): Pick<JobProcessors, 'handle-comment'> {
  const options = { ...defaultMailOptions(deps), ...overrides };
  return {
    'handle-comment': (payload, job) => handleComment(deps, options, payload, job.attemptsMade > 0),
  };
}

export function defaultMailOptions(deps: FactoryDeps): MailOptions {
  return {
    permissions: new PermissionCache(60_000),
    // Reaches whichever process runs the agent, through its cancel listener.
    cancelAgentRun: (agentId, reason) =>
      publishAgentCancel(deps.queues, deps.env.REDIS_PREFIX, agentId, reason),
    // The worker dispatcher: admission within the limits, claim, implement-task.
    startWaitingTasks: () => new FlowServices(deps).dispatch(),
    sessionDirOf: async (agent, recipient) => {
      // Where its last run left the session; for a worker whose run did not say, its worktree.
      const recorded = await sessionDirectory(deps.db, agent);
      const worktree =
        agent.kind === 'worker' && recipient.kind === 'worker' ? recipient.task.worktreePath : null;
      const dir = recorded ?? worktree;
      return dir && existsSync(dir) ? dir : undefined;
    },
    scratchDir: async (agent) => {
      const dir = path.resolve(deps.env.WORKTREE_DIR, 'mail', `agent-${agent.id}`);
      await mkdir(dir, { recursive: true });
      return dir;
    },
  };
}
