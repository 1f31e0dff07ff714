import type { Context, Probot } from 'probot';
import { repoConfigPath } from '../config/loadRepoConfig.js';
import { listEpics } from '../db/epics.js';
import type { FactoryDeps } from '../deps.js';
import { jobIds } from '../queues/jobs.js';
import { isBlockedByConfig } from './configProblems.js';
import { intake, type IntakeOutcome } from './intake.js';

/**
 * A push that changes `.github/factory.yml` on the default branch re-checks
 * the epics parked for an invalid config: the acknowledgement job starts them
 * when the file is now valid, or updates the list of problems.
 */
export function registerConfigFixIntake(app: Probot, deps: FactoryDeps) {
  app.on('push', (context) => intake(deps, context, () => recordConfigPush(deps, context)));
}

async function recordConfigPush(
  deps: FactoryDeps,
  context: Context<'push'>,
): Promise<IntakeOutcome> {
  const { ref, repository, commits, installation } = context.payload;
  if (!installation) return { ignored: 'no installation' };
  if (ref !== `refs/heads/${repository.default_branch}`)
    return { ignored: 'not the default branch' };
  const touched = commits.some((commit) =>
    [...(commit.added ?? []), ...(commit.modified ?? []), ...(commit.removed ?? [])].includes(
      repoConfigPath,
    ),
  );
  if (!touched) return { ignored: `${repoConfigPath} unchanged` };
  const parked = (await listEpics(deps.db, { repoId: repository.id, states: ['BLOCKED'] })).filter(
    isBlockedByConfig,
  );
  if (parked.length === 0) return { ignored: 'no epic waits for the config' };
  for (const epic of parked) {
    await deps.queues.enqueue(
      'acknowledge-epic',
      {
        epicId: epic.id,
        installationId: installation.id,
        owner: repository.owner?.login ?? repository.full_name.split('/')[0] ?? '',
        repo: repository.name,
      },
      { jobId: jobIds.forEntity('acknowledge-epic', epic.id, `d${context.id}`) },
    );
  }
  return 'enqueued';
}
