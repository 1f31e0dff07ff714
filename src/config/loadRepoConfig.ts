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
    const reason = describeReadError(error);
    const { config } = parseRepoConfig({});
    return { ok: false, config, problems: [`(file): cannot be read — ${reason}`] };
  }
}

/** The config plugin wraps the YAML parser's error; the parser's own words say where the mistake is. */
function describeReadError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const firstLine = (text: string) => text.split('\n')[0] ?? '';
  const message = firstLine(error.message).replace(/^\[@probot\/octokit-plugin-config\] /, '');
  return error.cause instanceof Error ? `${message}: ${firstLine(error.cause.message)}` : message;
}
