import type { FactoryDeps } from '../../deps.js';
import { defaultRepairs, type ReconcileRepairs } from './reconcile/repairs.js';
import { cachedRepoConfigs, type RepoConfigSource } from './repoConfigs.js';

/** What the orchestrator works with: the app's deps plus the parts tests may swap. */
export interface OrchestratorDeps extends FactoryDeps {
  repoConfigs: RepoConfigSource;
  /** How a repair does what a missed webhook would have done (the same code the webhook paths use). */
  repairs: ReconcileRepairs;
  now: () => Date;
}

export function orchestratorDeps(
  deps: FactoryDeps,
  overrides: Partial<Pick<OrchestratorDeps, 'repoConfigs' | 'repairs' | 'now'>> = {},
): OrchestratorDeps {
  return {
    ...deps,
    repoConfigs: overrides.repoConfigs ?? cachedRepoConfigs(deps.github),
    repairs: overrides.repairs ?? defaultRepairs,
    now: overrides.now ?? (() => new Date()),
  };
}
