import type { ProbotOctokit } from 'probot';
import { parseRepoConfig, type RepoConfigResult } from './repoConfig.js';

export const repoConfigPath = '.github/factory.yml';

export interface RepoRef {
  owner: string;
  repo: string;
}

/**
 * Reads `.github/factory.yml` through Probot's config plugin (which also honours
 * `_extends` and the organisation's `.github` repository). Usable from webhook
 * handlers and from queue jobs alike. A YAML syntax error is a problem like any
 * other, not a crash.
 */
export async function loadRepoConfig(
  octokit: ProbotOctokit,
  repo: RepoRef,
): Promise<RepoConfigResult> {
  try {
    const { config } = await octokit.config.get({ ...repo, path: repoConfigPath });
    return parseRepoConfig(config);
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    const { config } = parseRepoConfig({});
    return { ok: false, config, problems: [`(file): cannot be read — ${reason}`] };
  }
}
