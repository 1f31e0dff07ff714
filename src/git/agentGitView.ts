import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runGitSync } from './gitCommand.js';
import { gitPlaceOf } from './gitPlace.js';

/**
 * The agent's own git for a task worktree: a small repository beside the
 * worktree that the jail shows as the worktree's `.git`, and that the app
 * never runs git in. Its objects borrow the mirror's (an alternates entry;
 * the mirror's objects are bound read-only), its new objects, refs and index
 * are its own, so inside the jail `status`, `diff`, `log` and the agent's own
 * commits all work while nothing the agent does there — config, hooks,
 * attributes, a redirected `commondir` — is ever seen by the app's git,
 * which keeps the worktree's real administrative folder out of the jail
 * altogether. The app takes the agent's work as files: its own `add` and
 * commit in its own git directory (`commit.ts`). The view is made afresh for
 * each run from the app's view (branch, head, index, remote branches).
 */

export interface AgentGitView {
  /** The agent's repository (writable in the jail). */
  gitDir: string;
  /** A `.git` file naming it, bound over the worktree's `.git` inside the jail. */
  dotGitFile: string;
  /** The mirror's objects, read-only in the jail. */
  objects: string;
}

export function agentGitViewPath(worktree: string): string {
  const folder = path.resolve(worktree);
  return path.join(path.dirname(path.dirname(folder)), 'agent-git', path.basename(folder));
}

/** Undefined for a folder that is not a linked worktree of a mirror (nothing to hide). */
export function prepareAgentGitView(worktree: string): AgentGitView | undefined {
  const place = gitPlaceOf(worktree);
  if (!place.commonDir || !place.gitDir) return undefined;
  const gitDir = agentGitViewPath(worktree);
  rmSync(gitDir, { recursive: true, force: true });
  mkdirSync(path.join(gitDir, 'objects', 'info'), { recursive: true });
  mkdirSync(path.join(gitDir, 'refs', 'heads'), { recursive: true });
  mkdirSync(path.join(gitDir, 'refs', 'tags'), { recursive: true });
  const objects = path.join(place.commonDir, 'objects');
  writeFileSync(path.join(gitDir, 'objects', 'info', 'alternates'), `${objects}\n`);
  writeFileSync(
    path.join(gitDir, 'config'),
    // An identity so the agent's own commits work without it having to set one.
    '[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tlogallrefupdates = true\n' +
      '[user]\n\tname = Factory agent\n\temail = agent@factory.invalid\n',
  );

  const head = runGitSync(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: worktree }).trim();
  let branch = '';
  try {
    branch = runGitSync(['symbolic-ref', '--quiet', 'HEAD'], { cwd: worktree }).trim();
  } catch {
    // Detached: the agent sees a detached HEAD too.
  }
  writeFileSync(path.join(gitDir, 'HEAD'), branch ? `ref: ${branch}\n` : `${head}\n`);
  const refs = runGitSync(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/remotes/'], {
    cwd: place.commonDir,
  });
  const packed = [
    '# pack-refs with: peeled sorted',
    ...(branch ? [`${head} ${branch}`] : []),
    ...refs.split('\n').filter(Boolean),
  ]
    .sort((a, b) => (a.startsWith('#') ? -1 : b.startsWith('#') ? 1 : byRef(a, b)))
    .join('\n');
  writeFileSync(path.join(gitDir, 'packed-refs'), `${packed}\n`);
  const index = path.join(place.gitDir, 'index');
  if (existsSync(index)) copyFileSync(index, path.join(gitDir, 'index'));

  const dotGitFile = `${gitDir}.git-file`;
  writeFileSync(dotGitFile, `gitdir: ${gitDir}\n`);
  return { gitDir, dotGitFile, objects };
}

export function removeAgentGitView(worktree: string): void {
  const gitDir = agentGitViewPath(worktree);
  rmSync(gitDir, { recursive: true, force: true });
  rmSync(`${gitDir}.git-file`, { force: true });
}

function byRef(a: string, b: string): number {
  const left = a.split(' ')[1] ?? '';
  const right = b.split(' ')[1] ?? '';
  return left < right ? -1 : left > right ? 1 : 0;
}
