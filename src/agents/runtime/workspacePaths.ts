import path from 'node:path';

/**
 * Lexical path rules shared by the tool policy and the shell guard: a path
 * is resolved against the agent's working directory (with `~` and `$HOME`
 * expanded) and must stay inside its workspace. Symbolic links are resolved by
 * the caller (toolGuard.ts) before these pure checks run.
 */

export interface Workspace {
  /** The folder the agent may write in (a worker's worktree, a supervisor's checkout). */
  root: string;
  home: string;
  /** Folders outside the root the agent may read (e.g. where the engine parks long tool output). */
  readable?: string[];
}

/** Places a command may write to although they are outside the workspace. */
const harmlessTargets = ['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty'];

export function expandHome(target: string, home: string): string {
  if (target === '~' || target === '$HOME' || target === '${HOME}') return home;
  for (const prefix of ['~/', '$HOME/', '${HOME}/']) {
    if (target.startsWith(prefix)) return path.join(home, target.slice(prefix.length));
  }
  return target;
}

export function resolveIn(from: string, target: string, home: string): string {
  return path.resolve(from, expandHome(target, home));
}

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(root), path.resolve(candidate));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export function isHarmlessTarget(resolved: string): boolean {
  return harmlessTargets.includes(resolved) || resolved.startsWith('/dev/fd/');
}
