import type { ProbotOctokit } from 'probot';
import type { AgentRunner } from './agents/runtime/types.js';
import type { Env } from './config/env.js';
import type { Database } from './db/connection.js';
import type { Logger } from './logger.js';
import type { JobQueues } from './queues/producer.js';

/** GitHub as seen from queue jobs, which run outside any webhook context. */
export interface GitHubClients {
  /** An Octokit authenticated as the App's installation (tokens are refreshed by Probot). */
  forInstallation(installationId: number): Promise<ProbotOctokit>;
  /** A fresh installation access token, for `git push` only; never stored, logged or given to an agent. */
  installationToken(installationId: number): Promise<string>;
  /** The App's bot login (`<slug>[bot]`), to recognise events the app caused itself. */
  botLogin(): Promise<string>;
}

/** Everything a job or handler needs, passed in so tests can supply their own. */
export interface FactoryDeps {
  env: Env;
  db: Database;
  queues: JobQueues;
  github: GitHubClients;
  log: Logger;
  agents: AgentRunner;
}
