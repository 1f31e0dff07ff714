import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from './gitCommand.js';
import { registerMirror } from './gitPlace.js';
import { withKeyedLock } from './keyedLock.js';
import { mirrorPath, type RepoPlace } from './layout.js';
import { authenticatedGitEnv, unsafeConfigKeys, type RemoteCredentials } from './remoteAuth.js';

/**
 * One bare mirror per repository, cloned once and fetched before each job;
 * task worktrees are added from it, so a task never clones the repository.
 * Remote branches land in refs/remotes/origin/*, leaving refs/heads/* to the
 * worktrees' own branches (git refuses to fetch into a checked-out branch).
 *
 * Fetches name the remote URL explicitly instead of trusting the mirror's
 * config, which an agent could edit through its worktree.
 */

const fetchRefspec = '+refs/heads/*:refs/remotes/origin/*';

export async function ensureMirror(
  place: RepoPlace,
  remote: RemoteCredentials,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const mirror = mirrorPath(place);
  return withKeyedLock(mirror, async () => {
    if (!existsSync(path.join(mirror, 'HEAD'))) {
      await createMirror(mirror, remote, options.timeoutMs);
    } else {
      await fetchInto(mirror, remote, options.timeoutMs);
    }
    registerMirror(mirror);
    return mirror;
  });
}

/** Fetches the remote's branches into the mirror (used before every task and plan). */
export async function fetchMirror(
  mirror: string,
  remote: RemoteCredentials,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  await withKeyedLock(mirror, () => fetchInto(mirror, remote, options.timeoutMs));
}

async function createMirror(mirror: string, remote: RemoteCredentials, timeoutMs?: number) {
  // Built beside its final place and renamed, so a crash never leaves a half mirror behind.
  const building = `${mirror}.building-${randomBytes(4).toString('hex')}`;
  await mkdir(path.dirname(mirror), { recursive: true });
  try {
    await runGit(['init', '--bare', '--quiet', building], { cwd: path.dirname(mirror) });
    await runGit(['config', 'remote.origin.url', remote.url], { cwd: building });
    await runGit(['config', 'remote.origin.fetch', fetchRefspec], { cwd: building });
    await runGit(['config', 'gc.auto', '0'], { cwd: building });
    await fetchInto(building, remote, timeoutMs);
    await rename(building, mirror);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
}

async function fetchInto(mirror: string, remote: RemoteCredentials, timeoutMs?: number) {
  await assertNoUnsafeConfig(mirror);
  await runGit(['fetch', '--prune', '--quiet', '--no-tags', remote.url, fetchRefspec], {
    cwd: mirror,
    env: authenticatedGitEnv(remote),
    timeoutMs,
  });
}

export class UnsafeRepositoryConfigError extends Error {
  override name = 'UnsafeRepositoryConfigError';
}

/** Refuses a push, fetch or commit while the repository config could redirect it or run a program. */
export async function assertNoUnsafeConfig(gitDir: string): Promise<void> {
  const listing = await runGit(['config', '--local', '--list'], { cwd: gitDir }).catch(() => '');
  const unsafe = unsafeConfigKeys(listing);
  if (unsafe.length > 0) {
    throw new UnsafeRepositoryConfigError(
      `Refusing to run git for ${gitDir}: its repository config sets ${unsafe.join(', ')}, which Factory never writes (an agent running unjailed could have); remove them (git config --unset) and retry`,
    );
  }
}
