import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { removeAgentGitView } from './agentGitView.js';
import { GitError, runGit } from './gitCommand.js';
import { registerMirror } from './gitPlace.js';

/**
 * Worktrees added from the repository's mirror. A task's worktree is found
 * again on a retry or after a crash (same path, same branch), so the work
 * done so far stays; a branch pushed by an earlier attempt is picked up too.
 */

export interface TaskWorktreeRequest {
  mirror: string;
  path: string;
  branch: string;
  baseBranch: string;
}

export interface TaskWorktree {
  path: string;
  branch: string;
  /** How the worktree came to be: found as it was, or added from which starting point. */
  origin: 'existing' | 'local-branch' | 'remote-branch' | 'base';
}

export async function ensureTaskWorktree(request: TaskWorktreeRequest): Promise<TaskWorktree> {
  const { mirror, branch } = request;
  registerMirror(mirror);
  if (existsSync(request.path)) {
    const current = await currentBranch(request.path);
    if (current === branch) return { path: request.path, branch, origin: 'existing' };
    await removeWorktree(mirror, request.path);
  }
  await runGit(['worktree', 'prune'], { cwd: mirror });
  await mkdir(path.dirname(request.path), { recursive: true });
  if (await refExists(mirror, `refs/heads/${branch}`)) {
    await runGit(['worktree', 'add', '--quiet', request.path, branch], { cwd: mirror });
    return { path: request.path, branch, origin: 'local-branch' };
  }
  if (await refExists(mirror, `refs/remotes/origin/${branch}`)) {
    await runGit(
      ['worktree', 'add', '--quiet', '-b', branch, request.path, `refs/remotes/origin/${branch}`],
      {
        cwd: mirror,
      },
    );
    return { path: request.path, branch, origin: 'remote-branch' };
  }
  const base = `refs/remotes/origin/${request.baseBranch}`;
  if (!(await refExists(mirror, base))) {
    throw new Error(`The base branch ${request.baseBranch} does not exist on the remote`);
  }
  await runGit(['worktree', 'add', '--quiet', '--no-track', '-b', branch, request.path, base], {
    cwd: mirror,
  });
  return { path: request.path, branch, origin: 'base' };
}

/** A detached checkout of the base branch's tip, for an agent that only reads. */
export async function addReadOnlyCheckout(
  mirror: string,
  checkoutPath: string,
  baseBranch: string,
): Promise<string> {
  registerMirror(mirror);
  if (existsSync(checkoutPath)) await removeWorktree(mirror, checkoutPath);
  await runGit(['worktree', 'prune'], { cwd: mirror });
  await mkdir(path.dirname(checkoutPath), { recursive: true });
  await runGit(
    ['worktree', 'add', '--quiet', '--detach', checkoutPath, `refs/remotes/origin/${baseBranch}`],
    { cwd: mirror },
  );
  return runGit(['rev-parse', 'HEAD'], { cwd: checkoutPath }).then((sha) => sha.trim());
}

export async function removeWorktree(mirror: string, worktreePath: string): Promise<void> {
  await runGit(['worktree', 'remove', '--force', '--force', worktreePath], { cwd: mirror }).catch(
    () => undefined,
  );
  await rm(worktreePath, { recursive: true, force: true });
  removeAgentGitView(worktreePath);
  await runGit(['worktree', 'prune'], { cwd: mirror }).catch(() => undefined);
}

/** Removes every worktree in `folder` whose name starts with `namePrefix` (an epic's tasks). */
export async function removeWorktreesIn(
  mirror: string,
  folder: string,
  namePrefix: string,
): Promise<string[]> {
  if (!existsSync(folder)) return [];
  const names = (await readdir(folder)).filter((name) => name.startsWith(namePrefix));
  for (const name of names) await removeWorktree(mirror, path.join(folder, name));
  return names.map((name) => path.join(folder, name));
}

export async function currentBranch(worktreePath: string): Promise<string | undefined> {
  try {
    const name = await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], {
      cwd: worktreePath,
    });
    return name.trim() || undefined;
  } catch (error) {
    if (error instanceof GitError) return undefined;
    throw error;
  }
}

export async function refExists(gitDir: string, ref: string): Promise<boolean> {
  try {
    await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: gitDir });
    return true;
  } catch (error) {
    if (error instanceof GitError) return false;
    throw error;
  }
}
