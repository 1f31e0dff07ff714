import type { FactoryDeps } from '../deps.js';
import type { JobProcessors } from '../queues/workers.js';
import { acknowledgeEpic } from './acknowledgeEpic.js';

/** The jobs intake itself owns. */
export function intakeProcessors(deps: FactoryDeps): JobProcessors {
  return {
    'acknowledge-epic': (payload, job) => acknowledgeEpic(deps, payload, job.id ?? job.name),
  };
}
