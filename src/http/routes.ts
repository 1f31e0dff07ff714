import type { FactoryDeps } from '../deps.js';
import { healthHandler } from './health.js';
import type { HttpHandler } from './types.js';

/**
 * Every HTTP route a web process serves beside the webhooks, tried in order.
 * Parts of the product that serve pages (the status page) add their handler here.
 */
export function buildHttpHandlers(deps: FactoryDeps): HttpHandler[] {
  return [healthHandler(deps)];
}
