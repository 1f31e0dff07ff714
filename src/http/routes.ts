import type { FactoryDeps } from '../deps.js';
import { jobQueuesHealth } from '../web/queueHealth.js';
import { createStatusPage } from '../web/statusPage.js';
import { healthHandler } from './health.js';
import type { HttpHandler } from './types.js';

export interface HttpRoutes {
  /** Tried in order after Probot's webhook route; the first that answers wins. */
  handlers: HttpHandler[];
  /** Ends long-lived responses (live updates) so the server can stop. */
  close(): void;
}

/**
 * Every HTTP route a web process serves beside the webhooks. Parts of the
 * product that serve pages add their handler here.
 */
export function buildHttpRoutes(deps: FactoryDeps): HttpRoutes {
  const statusPage = createStatusPage({
    db: deps.db,
    log: deps.log.child({ name: 'status-page' }),
    accessToken: deps.env.STATUS_PAGE_TOKEN,
    githubWebUrl: deps.env.GITHUB_WEB_URL,
    queueHealth: jobQueuesHealth(deps.queues),
  });
  return {
    handlers: [healthHandler(deps), statusPage],
    close: () => statusPage.close(),
  };
}
