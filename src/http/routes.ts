import type { FactoryDeps } from '../deps.js';
import { statusPageFor } from '../web/fromDeps.js';
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
  const statusPage = statusPageFor(deps);
  return {
    handlers: [healthHandler(deps), statusPage],
    close: () => statusPage.close(),
  };
}
