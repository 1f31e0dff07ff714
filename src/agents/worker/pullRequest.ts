import { hasStatus, type GitHub, type RepoRef } from '../../github/octokit.js';

export interface PullRequestSpec extends RepoRef {
  branch: string;
  base: string;
  title: string;
  body: string;
}

export interface EnsuredPullRequest {
  number: number;
  url: string;
  headSha: string;
  outcome: 'created' | 'updated' | 'unchanged';
}

/**
 * The task's branch has exactly one open pull request saying `title` and
 * `body`. It is looked up by head branch first, so a retry or a crash after
 * creating it never opens a second one.
 */
export async function ensurePullRequest(
  octokit: GitHub,
  spec: PullRequestSpec,
): Promise<EnsuredPullRequest> {
  const existing = await findOpenPullRequest(octokit, spec);
  if (existing) {
    if (existing.title === spec.title && (existing.body ?? '') === spec.body) {
      return { ...pick(existing), outcome: 'unchanged' };
    }
    const { data } = await octokit.rest.pulls.update({
      owner: spec.owner,
      repo: spec.repo,
      pull_number: existing.number,
      title: spec.title,
      body: spec.body,
    });
    return { ...pick(data), outcome: 'updated' };
  }
  try {
    const { data } = await octokit.rest.pulls.create({
      owner: spec.owner,
      repo: spec.repo,
      head: spec.branch,
      base: spec.base,
      title: spec.title,
      body: spec.body,
    });
    return { ...pick(data), outcome: 'created' };
  } catch (error) {
    // Another process opened it between our look-up and our create.
    if (!hasStatus(error, 422)) throw error;
    const raced = await findOpenPullRequest(octokit, spec);
    if (!raced) throw error;
    return { ...pick(raced), outcome: 'unchanged' };
  }
}

async function findOpenPullRequest(octokit: GitHub, spec: PullRequestSpec) {
  const { data } = await octokit.rest.pulls.list({
    owner: spec.owner,
    repo: spec.repo,
    head: `${spec.owner}:${spec.branch}`,
    state: 'open',
    per_page: 10,
  });
  return data.find((pull) => pull.head.ref === spec.branch);
}

function pick(pull: { number: number; html_url: string; head: { sha: string } }) {
  return { number: pull.number, url: pull.html_url, headSha: pull.head.sha };
}
