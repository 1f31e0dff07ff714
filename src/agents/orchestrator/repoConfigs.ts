import type { GitHubClients } from '../../deps.js';
import { loadRepoConfig } from '../../config/loadRepoConfig.js';
import type { RepoConfig } from '../../config/repoConfig.js';
import type { Epic } from '../../db/schema.js';

export type EpicRepo = Pick<Epic, 'installationId' | 'repoId' | 'repoOwner' | 'repoName'>;

/** The `.github/factory.yml` in force for an epic's repository. */
export type RepoConfigSource = (epic: EpicRepo) => Promise<RepoConfig>;

/**
 * The orchestrator reads the config of every active repository at every pass;
 * a short cache keeps that from costing an API call per epic per minute. An
 * invalid file means defaults here — reporting it is the intake's job.
 */
export function cachedRepoConfigs(github: GitHubClients, ttlMs = 5 * 60_000): RepoConfigSource {
  const cache = new Map<number, { config: RepoConfig; until: number }>();
  return async (epic) => {
    const hit = cache.get(epic.repoId);
    if (hit && hit.until > Date.now()) return hit.config;
    const octokit = await github.forInstallation(epic.installationId);
    const { config } = await loadRepoConfig(octokit, {
      owner: epic.repoOwner,
      repo: epic.repoName,
    });
    cache.set(epic.repoId, { config, until: Date.now() + ttlMs });
    return config;
  };
}
