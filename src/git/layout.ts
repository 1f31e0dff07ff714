import path from 'node:path';

/**
 * Where Factory keeps repositories under WORKTREE_DIR: one bare mirror per
 * repository, one worktree per task, one read-only checkout per epic plan.
 * Names come from ids and numbers only, so nothing a person typed reaches a path.
 */
export interface RepoPlace {
  root: string;
  owner: string;
  repo: string;
}

const safe = (part: string) => part.replace(/[^A-Za-z0-9._-]/g, '_');

export function repoFolder(place: RepoPlace): string {
  return path.resolve(place.root, safe(place.owner), safe(place.repo));
}

export function mirrorPath(place: RepoPlace): string {
  return path.join(repoFolder(place), 'mirror.git');
}

export function taskWorktreePath(place: RepoPlace, epicIssue: number, taskIssue: number): string {
  return path.join(repoFolder(place), 'tasks', `${epicIssue}-${taskIssue}`);
}

export function planCheckoutPath(place: RepoPlace, epicIssue: number): string {
  return path.join(repoFolder(place), 'plans', `epic-${epicIssue}`);
}

export function epicWorktreePrefix(place: RepoPlace, epicIssue: number): string {
  return path.join(repoFolder(place), 'tasks', `${epicIssue}-`);
}
