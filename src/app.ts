import type { Probot } from 'probot';
import type { FactoryDeps } from './deps.js';
import { registerConfigFixIntake } from './intake/configFix.js';
import { registerEpicLabelIntake } from './intake/epicLabel.js';
import { registerSubIssueIntake } from './intake/subIssues.js';
import { registerCommentIntake } from './mail/commentIntake.js';
import { registerMergeQueueIntake } from './mergeQueue/intake.js';

/**
 * A part of the product that listens to webhooks. Each registers handlers that
 * guard, record and enqueue — nothing else (see intake/intake.ts). They run in
 * a worker, on deliveries the web process queued (see intake/webhookQueue.ts).
 */
export type IntakeRegistration = (app: Probot, deps: FactoryDeps) => void;

const registrations: IntakeRegistration[] = [
  registerCommentIntake,
  registerEpicLabelIntake,
  registerSubIssueIntake,
  registerConfigFixIntake,
  registerMergeQueueIntake,
];

export function createFactoryApp(deps: FactoryDeps) {
  return (app: Probot) => {
    for (const register of registrations) register(app, deps);
  };
}
