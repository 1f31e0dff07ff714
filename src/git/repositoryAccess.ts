import type { GitHubClients } from '../deps.js';
import type { GitHub, RepoRef } from '../github/octokit.js';
import { botIdentity, type GitIdentity } from './commit.js';
import type { RemoteCredentials } from './remoteAuth.js';

export interface RepositoryFacts {
  cloneUrl: string;
  defaultBranch: string;
}

/**
 * What git needs from GitHub: the clone URL and default branch (from the
 * API, so an emulator or GitHub Enterprise just works), a fresh installation
 * token for each authenticated command, and the bot's commit identity.
 * Facts are cached per process; tokens never are.
 */
export class RepositoryAccess {
  private readonly facts = new Map<string, RepositoryFacts>();
  private identity: GitIdentity | undefined;

  constructor(private readonly github: GitHubClients) {}

  async repository(octokit: GitHub, ref: RepoRef): Promise<RepositoryFacts> {
    const key = `${ref.owner}/${ref.repo}`.toLowerCase();
    const known = this.facts.get(key);
    if (known) return known;
    const { data } = await octokit.rest.repos.get({ owner: ref.owner, repo: ref.repo });
    const facts = { cloneUrl: data.clone_url, defaultBranch: data.default_branch };
    this.facts.set(key, facts);
    return facts;
  }

  /** Credentials for one git command; call it right before the command so the token is fresh. */
  async credentials(installationId: number, cloneUrl: string): Promise<RemoteCredentials> {
    return { url: cloneUrl, token: await this.github.installationToken(installationId) };
  }

  /** `<slug>[bot]` and `<id>+<slug>[bot]@users.noreply.github.com`, the id looked up once. */
  async botIdentity(octokit: GitHub): Promise<GitIdentity> {
    if (this.identity) return this.identity;
    const login = await this.github.botLogin();
    const { data } = await octokit.rest.users.getByUsername({ username: login });
    this.identity = botIdentity(login, data.id);
    return this.identity;
  }
}
