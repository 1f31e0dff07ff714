import { buildFlowProcessors } from './agents/flow/processors.js';
import { orchestratorDeps } from './agents/orchestrator/orchestratorDeps.js';
import { orchestratorProcessors } from './agents/orchestrator/processors.js';
import type { FactoryDeps } from './deps.js';
import { intakeProcessors } from './intake/processors.js';
import { createMergeQueueGit } from './mergeQueue/gitOperations.js';
import { buildMergeQueueProcessors } from './mergeQueue/processors.js';
import type { JobProcessors } from './queues/workers.js';

/**
 * Which code runs each kind of job. Every part of the product contributes the
 * processors for its own jobs; a process consumes the queues it has processors for.
 */
export function buildProcessors(deps: FactoryDeps): JobProcessors {
  return {
    ...intakeProcessors(deps),
    ...buildFlowProcessors(deps),
    ...buildMergeQueueProcessors(deps, createMergeQueueGit(deps)),
    ...orchestratorProcessors(orchestratorDeps(deps)),
  };
}
