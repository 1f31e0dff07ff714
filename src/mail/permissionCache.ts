import type { ProbotOctokit } from 'probot';
import { roleFromPermissionResponse, type RepositoryRole } from './speakers.js';

/**
 * Repository roles looked up through `GET /repos/{owner}/{repo}/collaborators/{username}/permission`
 * and kept briefly: a busy thread costs one request per person, while a
 * revoked permission stops working within the TTL.
 */
export class PermissionCache {
  private readonly entries = new Map<string, { role: RepositoryRole; expiresAt: number }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 5_000,
  ) {}

  async roleOf(
    octokit: ProbotOctokit,
    repo: { owner: string; repo: string },
    username: string,
  ): Promise<RepositoryRole> {
    const key = `${repo.owner}/${repo.repo}:${username}`.toLowerCase();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.role;
    const role = await lookUpRole(octokit, repo, username);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { role, expiresAt: this.now() + this.ttlMs });
    return role;
  }
}

async function lookUpRole(
  octokit: ProbotOctokit,
  repo: { owner: string; repo: string },
  username: string,
): Promise<RepositoryRole> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: repo.owner,
      repo: repo.repo,
      username,
    });
    return roleFromPermissionResponse(data);
  } catch (error) {
    // 404: not a collaborator (or no such user) — no role at all. Other errors
    // propagate so the job is retried rather than refusing a maintainer.
    if (statusOf(error) === 404) return 'none';
    throw error;
  }
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error
    ? Number((error as { status: unknown }).status)
    : undefined;
}
