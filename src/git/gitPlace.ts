import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Which git directory the app's git uses for a folder, decided by the app and
 * never by a file the agent can write. A task worktree's `.git` file (and the
 * `commondir` file in its administrative folder) are writable by the worker:
 * obeying them would let it point the app's `git add` at a repository of its
 * own, whose config names a filter that runs with the app's rights. So a
 * worktree is matched to its mirror from the app's side: the mirror is where
 * the layout puts it (`<repo folder>/mirror.git`) or one this process opened,
 * and the administrative folder is the one of that mirror's `worktrees/*`
 * whose `gitdir` record names this worktree. Git then gets GIT_DIR,
 * GIT_COMMON_DIR and GIT_WORK_TREE explicitly and discovers nothing.
 */

export interface GitPlace {
  gitDir?: string;
  commonDir?: string;
  workTree?: string;
}

export class UnknownWorktreeError extends Error {
  override name = 'UnknownWorktreeError';
}

const knownMirrors = new Set<string>();
/** `mirror.git`, and the folder a mirror is built in before it is renamed. */
const bareName = /\.git($|\.building-)/;

/** Records a mirror this process created or opened, so its worktrees are recognised anywhere. */
export function registerMirror(mirror: string): void {
  knownMirrors.add(realPath(mirror));
}

export function gitPlaceOf(cwd: string): GitPlace {
  const folder = realPath(cwd);
  const candidates = [path.join(path.dirname(path.dirname(folder)), 'mirror.git'), ...knownMirrors];
  for (const mirror of candidates) {
    const adminDir = adminDirFor(mirror, folder);
    if (adminDir) return { gitDir: adminDir, commonDir: mirror, workTree: folder };
  }
  // Only a folder the app names as a bare repository is one: a worktree made to look bare
  // (a HEAD file and an objects folder) would otherwise have its own config obeyed.
  if (
    isBareRepository(folder) &&
    (bareName.test(path.basename(folder)) || knownMirrors.has(folder))
  )
    return { gitDir: folder };
  const dotGit = path.join(folder, '.git');
  const kind = entryKind(dotGit);
  // A plain repository keeps its config in the work tree: only tests and their remotes use one.
  if (kind === 'directory') return { gitDir: dotGit, workTree: folder };
  if (kind === 'missing' && !isBareRepository(folder)) return {}; // Not a repository (e.g. where `init` runs).
  throw new UnknownWorktreeError(
    `${folder} is not a worktree of a mirror Factory knows (its .git file or the mirror's worktree record was changed); remove the worktree so the next attempt adds it again`,
  );
}

function adminDirFor(mirror: string, worktree: string): string | undefined {
  if (!isBareRepository(mirror)) return undefined;
  const records = path.join(mirror, 'worktrees');
  let names: string[];
  try {
    names = readdirSync(records);
  } catch {
    return undefined;
  }
  // Git names the record after the folder; look there first, then at the others.
  const ordered = [path.basename(worktree), ...names.filter((n) => n !== path.basename(worktree))];
  const wanted = path.join(worktree, '.git');
  for (const name of ordered) {
    const adminDir = path.join(records, name);
    try {
      if (realPathOrSelf(readFileSync(path.join(adminDir, 'gitdir'), 'utf8').trim()) === wanted) {
        return adminDir;
      }
    } catch {
      // No record by this name.
    }
  }
  return undefined;
}

function isBareRepository(folder: string): boolean {
  return (
    entryKind(path.join(folder, 'HEAD')) === 'file' &&
    entryKind(path.join(folder, 'objects')) === 'directory' &&
    entryKind(path.join(folder, '.git')) === 'missing'
  );
}

function entryKind(entry: string): 'file' | 'directory' | 'missing' | 'other' {
  try {
    const stat = lstatSync(entry);
    if (stat.isFile()) return 'file';
    return stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

function realPath(folder: string): string {
  return existsSync(folder) ? realpathSync(folder) : path.resolve(folder);
}

/** The record's path resolved like ours, its `.git` leaf kept (it may be a file that moved). */
function realPathOrSelf(recorded: string): string {
  return path.join(realPath(path.dirname(recorded)), path.basename(recorded));
}
