import { jailBanner } from '../agents/runtime/jail/banner.js';
import { modelWarning } from '../config/startupWarnings.js';
import type { FactoryDeps } from '../deps.js';
import { statusPageExposure } from './exposure.js';
import { jobQueuesHealth } from './queueHealth.js';
import { createStatusPage, type StatusPageHandler } from './statusPage.js';

/** The status page as a web process runs it: its database, queues and configuration. */
export function statusPageFor(
  deps: Pick<FactoryDeps, 'env' | 'db' | 'queues' | 'log'>,
): StatusPageHandler {
  const env = deps.env;
  const exposure = statusPageExposure({
    host: env.HOST,
    token: env.STATUS_PAGE_TOKEN,
    publicPage: env.STATUS_PAGE_PUBLIC === 'true',
  });
  const jail = jailBanner(env.AGENT_SANDBOX, deps.log);
  const model = modelWarning(env);
  return createStatusPage({
    db: deps.db,
    log: deps.log.child({ name: 'status-page' }),
    accessToken: env.STATUS_PAGE_TOKEN,
    closedReason: exposure.kind === 'closed' ? exposure.reason : undefined,
    githubWebUrl: env.GITHUB_WEB_URL,
    queueHealth: jobQueuesHealth(deps.queues),
    banner: () => [jail(), model].filter((line) => line !== undefined).join(' ') || undefined,
  });
}
