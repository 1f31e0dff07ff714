import type { Context, Probot } from 'probot';
import { loadRepoConfig } from '../config/loadRepoConfig.js';
import { findEpicByIssue, transitionEpic, upsertEpicFromIssue } from '../db/epics.js';
import type { FactoryDeps } from '../deps.js';
import { finishedEpicStates } from '../domain/epicStateMachine.js';
import { jobIds } from '../queues/jobs.js';
import { configBlockedReason, isBlockedByConfig } from './configProblems.js';
import { intake, type IntakeOutcome } from './intake.js';

/**
 * The epic label is how a maintainer starts (and, by removing it, stops) an
 * epic. These handlers only record the Epic and enqueue: the acknowledgement
 * (reaction, planning label, config report) and the planning are jobs.
 */
export function registerEpicLabelIntake(app: Probot, deps: FactoryDeps) {
  app.on('issues.labeled', (context) =>
    intake(deps, context, () => recordEpicLabeled(deps, context)),
  );
  app.on('issues.unlabeled', (context) =>
    intake(deps, context, () => recordEpicUnlabeled(deps, context)),
  );
}

async function recordEpicLabeled(
  deps: FactoryDeps,
  context: Context<'issues.labeled'>,
): Promise<IntakeOutcome> {
  const { issue, label, repository, installation } = context.payload;
  if (!label || !installation) return { ignored: 'no label or no installation' };
  const ref = { owner: repository.owner.login, repo: repository.name };
  const loaded = await loadRepoConfig(context.octokit, ref);
  if (label.name !== loaded.config.labels.epic) return { ignored: 'not the epic label' };

  let { epic } = await upsertEpicFromIssue(deps.db, {
    installationId: installation.id,
    repoId: repository.id,
    ...{ repoOwner: ref.owner, repoName: ref.repo },
    issueNumber: issue.number,
    issueId: issue.id,
    title: issue.title,
    body: issue.body,
  });
  if (epic.state === 'CANCELLED') {
    epic = await transitionEpic(deps.db, epic.id, 'PLANNING', { from: 'CANCELLED' });
  }
  if (!loaded.ok && epic.state === 'PLANNING') {
    epic = await transitionEpic(deps.db, epic.id, 'BLOCKED', {
      from: 'PLANNING',
      reason: configBlockedReason(loaded.problems),
    });
  }
  if (epic.state !== 'PLANNING' && !isBlockedByConfig(epic)) {
    return { ignored: `epic #${issue.number} is already ${epic.state}` };
  }

  const job = { epicId: epic.id, installationId: installation.id, ...ref };
  await deps.queues.enqueue('acknowledge-epic', job, {
    jobId: jobIds.fromDelivery('acknowledge-epic', context.id),
  });
  if (epic.state === 'PLANNING') {
    await deps.queues.enqueue('plan-epic', job, {
      jobId: jobIds.fromDelivery('plan-epic', context.id),
    });
  }
  return 'enqueued';
}

async function recordEpicUnlabeled(
  deps: FactoryDeps,
  context: Context<'issues.unlabeled'>,
): Promise<IntakeOutcome> {
  const { issue, label, repository, installation, sender } = context.payload;
  if (!label || !installation) return { ignored: 'no label or no installation' };
  const ref = { owner: repository.owner.login, repo: repository.name };
  const loaded = await loadRepoConfig(context.octokit, ref);
  if (label.name !== loaded.config.labels.epic) return { ignored: 'not the epic label' };
  const epic = await findEpicByIssue(deps.db, repository.id, issue.number);
  if (!epic) return { ignored: `issue #${issue.number} is not an epic` };
  if (finishedEpicStates.includes(epic.state)) return { ignored: `epic is already ${epic.state}` };
  await deps.queues.enqueue(
    'cancel-epic',
    {
      epicId: epic.id,
      installationId: installation.id,
      ...ref,
      reason: `the ${label.name} label was removed by @${sender.login}`,
    },
    { jobId: jobIds.fromDelivery('cancel-epic', context.id) },
  );
  return 'enqueued';
}
