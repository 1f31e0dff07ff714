import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
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
  writeFileSync(path.join(gitDir, 'config'), viewConfig(place.commonDir));

  // Read from files, not by running git: this runs as each jail starts, and a git process
  // costs tens of milliseconds on a loaded machine. The administrative folder is the app's
  // own (the jail never sees it), so what it says is what the app's git would say.
  const refs = readRefs(place.commonDir);
  const headText = readFileSync(path.join(place.gitDir, 'HEAD'), 'utf8').trim();
  const branch = headText.startsWith('ref: ') ? headText.slice(5).trim() : '';
  const head = branch ? refs.get(branch) : headText;
  if (!head) return undefined; // An unborn branch: nothing to show yet.
  writeFileSync(path.join(gitDir, 'HEAD'), branch ? `ref: ${branch}\n` : `${head}\n`);
  const shown = [...refs].filter(([name]) => name === branch || name.startsWith('refs/remotes/'));
  const packed = [
    '# pack-refs with: peeled sorted',
    ...shown
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, sha]) => `${sha} ${name}`),
  ].join('\n');
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

/**
 * The view's config: an identity so the agent's own commits work without it
 * setting one, and the remote's address (never a token: the app keeps that in
 * one push's environment) so `git remote -v` and `origin/<branch>` read as usual.
 */
function viewConfig(commonDir: string): string {
  let url: string | undefined;
  try {
    const mirrorConfig = readFileSync(path.join(commonDir, 'config'), 'utf8');
    url = /\[remote "origin"\][^[]*?\burl\s*=\s*(\S+)/.exec(mirrorConfig)?.[1];
  } catch {
    // No config to read the address from.
  }
  return [
    '[core]',
    '\trepositoryformatversion = 0',
    '\tbare = false',
    '\tlogallrefupdates = true',
    '[user]',
    '\tname = Factory agent',
    '\temail = agent@factory.invalid',
    ...(url
      ? ['[remote "origin"]', `\turl = ${url}`, '\tfetch = +refs/heads/*:refs/remotes/origin/*']
      : []),
    '',
  ].join('\n');
}

/** The repository's refs under refs/: packed ones, then loose ones (which win). */
function readRefs(commonDir: string): Map<string, string> {
  const refs = new Map<string, string>();
  try {
    for (const line of readFileSync(path.join(commonDir, 'packed-refs'), 'utf8').split('\n')) {
      const match = /^([0-9a-f]{40,64}) (refs\/\S+)$/.exec(line);
      if (match) refs.set(match[2]!, match[1]!);
    }
  } catch {
    // No packed refs.
  }
  const walk = (folder: string, name: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const ref = `${name}/${entry.name}`;
      if (entry.isDirectory()) walk(full, ref);
      else if (entry.isFile()) {
        const sha = readFileSync(full, 'utf8').trim();
        if (/^[0-9a-f]{40,64}$/.test(sha)) refs.set(ref, sha);
      }
    }
  };
  walk(path.join(commonDir, 'refs'), 'refs');
  return refs;
}
