import { runGit } from './gitCommand.js';
import { assertNoUnsafeConfig } from './mirror.js';
import { authenticatedGitEnv, type RemoteCredentials } from './remoteAuth.js';

/**
 * The only way Factory pushes: one branch, the task's own, under the
 * repository's branch prefix, to the repository's URL, with a token that
 * lives in the environment of this one git process.
 */

export interface PushRequest {
  /** The worktree (or mirror) holding the branch. */
  gitDir: string;
  /** The branch to push. */
  branch: string;
  /** The branch the task owns (from its record); anything else is refused. */
  taskBranch: string;
  /** `branchPrefix` from the repository config. */
  prefix: string;
  remote: RemoteCredentials;
  /** Rewritten history (an update of the PR onto its base) needs this; a lease on the old head. */
  forceWithLeaseSha?: string;
  timeoutMs?: number;
}

export class PushRefusedError extends Error {
  override name = 'PushRefusedError';
}

/** Pure: why this push must not happen, or undefined when it may. */
export function pushRefusal(
  branch: string,
  taskBranch: string,
  prefix: string,
): string | undefined {
  if (branch !== taskBranch) return `${branch} is not the task's branch ${taskBranch}`;
  if (!branch.startsWith(`${prefix}/`)) return `${branch} is not under the prefix ${prefix}/`;
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes('..') || branch.endsWith('/')) {
    return `${branch} is not a plain branch name`;
  }
  return undefined;
}

export async function pushTaskBranch(request: PushRequest): Promise<string> {
  const refusal = pushRefusal(request.branch, request.taskBranch, request.prefix);
  if (refusal) throw new PushRefusedError(`Push refused: ${refusal}`);
  await assertNoUnsafeConfig(request.gitDir);
  const ref = `refs/heads/${request.branch}`;
  const sha = (
    await runGit(['rev-parse', '--verify', `${ref}^{commit}`], { cwd: request.gitDir })
  ).trim();
  const args = ['push', '--quiet', '--no-verify', '--porcelain'];
  if (request.forceWithLeaseSha !== undefined) {
    args.push(`--force-with-lease=${ref}:${request.forceWithLeaseSha}`);
  }
  args.push(request.remote.url, `${ref}:${ref}`);
  await runGit(args, {
    cwd: request.gitDir,
    env: authenticatedGitEnv(request.remote),
    timeoutMs: request.timeoutMs,
  });
  // Keep the mirror's view of the remote in step, so the next worktree of this task starts here.
  await runGit(['update-ref', `refs/remotes/origin/${request.branch}`, sha], {
    cwd: request.gitDir,
  });
  return sha;
}
