import { jailBanner } from '../agents/runtime/jail/banner.js';
import type { FactoryDeps } from '../deps.js';
import { jobQueuesHealth } from './queueHealth.js';
import { createStatusPage, type StatusPageHandler } from './statusPage.js';

/** The status page as a web process runs it: its database, queues and configuration. */
export function statusPageFor(
  deps: Pick<FactoryDeps, 'env' | 'db' | 'queues' | 'log'>,
): StatusPageHandler {
  return createStatusPage({
    db: deps.db,
    log: deps.log.child({ name: 'status-page' }),
    accessToken: deps.env.STATUS_PAGE_TOKEN,
    githubWebUrl: deps.env.GITHUB_WEB_URL,
    queueHealth: jobQueuesHealth(deps.queues),
    banner: jailBanner(deps.env.AGENT_SANDBOX, deps.log),
  });
}
