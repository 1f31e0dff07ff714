import type { FactoryDeps } from '../../deps.js';
import { retryingInfrastructure } from '../../queues/infrastructureRetry.js';
import type { JobProcessors } from '../../queues/workers.js';
import { createSubIssues } from '../supervisor/createSubIssues.js';
import { planEpic } from '../supervisor/planEpic.js';
import { updateProgress } from '../supervisor/updateProgress.js';
import { implementTask } from '../worker/implementTask.js';
import { reworkTask } from '../worker/reworkTask.js';
import { FlowServices, type FlowOptions } from './services.js';

/** The jobs that take an epic to pull requests: plan, sub-issues, progress, implementation, rework. */
export function buildFlowProcessors(deps: FactoryDeps, options: FlowOptions = {}): JobProcessors {
  const flow = new FlowServices(deps, options);
  return {
    // Agent jobs: an outage of PostgreSQL or Redis is waited out, never counted as a try.
    'plan-epic': (payload, job, token) =>
      retryingInfrastructure(job, token, deps.log, () => planEpic(flow, payload, job)),
    'create-sub-issues': (payload) => createSubIssues(flow, payload),
    'update-progress': (payload) => updateProgress(flow, payload),
    'implement-task': (payload, job, token) =>
      retryingInfrastructure(job, token, deps.log, () => implementTask(flow, payload, job)),
    'rework-task': (payload, job, token) =>
      retryingInfrastructure(job, token, deps.log, () => reworkTask(flow, payload, job)),
  };
}
