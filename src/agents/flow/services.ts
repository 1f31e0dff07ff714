import { findEpic } from '../../db/epics.js';
import { findTask } from '../../db/tasks.js';
import { loadRepoConfig } from '../../config/loadRepoConfig.js';
import type { RepoConfig } from '../../config/repoConfig.js';
import type { Epic } from '../../db/schema.js';
import type { FactoryDeps } from '../../deps.js';
import type { GitHub } from '../../github/octokit.js';
import { RepositoryAccess } from '../../git/repositoryAccess.js';
import { createJail, type Jail } from '../runtime/jail/jail.js';
import { startWaitingTasks, type DispatchOutcome } from '../worker/dispatch.js';
import { jobIds } from '../../queues/jobs.js';
import { cachedRepoConfigs, type RepoConfigSource } from '../orchestrator/repoConfigs.js';

/**
 * What the supervisor's and worker's jobs share: the app's deps, git access
 * to repositories, and the few policies tests tune (command timeouts).
 */
export interface FlowOptions {
  /** Timeout of one setup or test command. */
  commandTimeoutMs?: number;
}

export class FlowServices {
  readonly access: RepositoryAccess;
  readonly commandTimeoutMs: number;
  /** The jail repository commands run in: the agents' own, or one as the environment says. */
  readonly jail: Jail;
  /** Configs for dispatching (limits, budgets), cached: every dispatch reads every active epic's. */
  readonly dispatchConfigs: RepoConfigSource;

  constructor(
    readonly deps: FactoryDeps,
    options: FlowOptions = {},
  ) {
    this.access = new RepositoryAccess(deps.github);
    this.commandTimeoutMs = options.commandTimeoutMs ?? 15 * 60_000;
    this.jail = deps.agents.jail ?? createJail({ mode: deps.env.AGENT_SANDBOX, log: deps.log });
    this.dispatchConfigs = cachedRepoConfigs(deps.github);
  }

  octokit(installationId: number): Promise<GitHub> {
    return this.deps.github.forInstallation(installationId);
  }

  async repoConfig(
    epic: Pick<Epic, 'installationId' | 'repoOwner' | 'repoName'>,
  ): Promise<RepoConfig> {
    const octokit = await this.octokit(epic.installationId);
    const result = await loadRepoConfig(octokit, { owner: epic.repoOwner, repo: epic.repoName });
    if (!result.ok) {
      this.deps.log.warn(
        { repo: `${epic.repoOwner}/${epic.repoName}`, problems: result.problems },
        'invalid .github/factory.yml: using the defaults',
      );
    }
    return result.config;
  }

  /** Starts what may start now (see dispatch.ts) and refreshes the progress of epics it touched. */
  async dispatch(): Promise<DispatchOutcome> {
    const outcome = await startWaitingTasks(this.deps, { configOf: this.dispatchConfigs });
    for (const { taskId } of outcome.blocked) {
      const task = await findTask(this.deps.db, taskId);
      const epic = task && (await findEpic(this.deps.db, task.epicId));
      if (epic) await this.refreshProgress(epic, `task-${taskId}-BLOCKED`);
    }
    return outcome;
  }

  /** Refreshes the epic's progress comment and labels; `cause` makes the job id unique per change. */
  async refreshProgress(
    epic: Pick<Epic, 'id' | 'installationId' | 'repoOwner' | 'repoName'>,
    cause: string,
  ) {
    await this.deps.queues.enqueue(
      'update-progress',
      {
        epicId: epic.id,
        installationId: epic.installationId,
        owner: epic.repoOwner,
        repo: epic.repoName,
      },
      {
        jobId: jobIds.forEntity('update-progress', epic.id, cause.replace(/[^A-Za-z0-9_-]/g, '_')),
      },
    );
  }
}
