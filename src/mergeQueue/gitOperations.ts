import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Env } from '../config/env.js';
import type { GitHubClients } from '../deps.js';
import {
  ensureMirror,
  ensureTaskWorktree,
  GitError,
  mirrorPath,
  pushTaskBranch,
  removeWorktree,
  removeWorktreesIn,
  repoFolder,
  RepositoryAccess,
  runGit,
  taskWorktreePath,
  type GitIdentity,
  type RemoteCredentials,
  type RepoPlace,
} from '../git/index.js';
import type { BranchTarget, MergeQueueGit, RepoTarget, UpdateOutcome } from './ports.js';

/**
 * The merge queue's git, on the repository's mirror and the task's worktree
 * (src/git). Fetches and pushes carry a fresh installation token in the
 * environment of the one git command that needs it, nowhere else.
 */

export interface GitOperationsOptions {
  /** Where a repository's git remote is: tests give a local bare repository. */
  remote?: (target: RepoTarget) => Promise<RemoteCredentials>;
  /** Who commits the app's updates (merge commits, rebased commits). */
  identity?: (target: RepoTarget) => Promise<GitIdentity>;
}

const remoteBase = (base: string) => `refs/remotes/origin/${base}`;

export function createMergeQueueGit(
  deps: { env: Pick<Env, 'WORKTREE_DIR'>; github: GitHubClients },
  options: GitOperationsOptions = {},
): MergeQueueGit {
  const access = new RepositoryAccess(deps.github);
  const place = (t: RepoTarget): RepoPlace => ({
    root: deps.env.WORKTREE_DIR,
    owner: t.owner,
    repo: t.repo,
  });
  const remote =
    options.remote ??
    (async (t: RepoTarget) => {
      const octokit = await deps.github.forInstallation(t.installationId);
      const facts = await access.repository(octokit, t);
      return access.credentials(t.installationId, facts.cloneUrl);
    });
  const identity =
    options.identity ??
    (async (t: RepoTarget) =>
      access.botIdentity(await deps.github.forInstallation(t.installationId)));
  const mirrorOf = async (t: RepoTarget) => ensureMirror(place(t), await remote(t));
  // Commits never change: a patch id, once known for a commit and its fork point, stays.
  const patchIds = new Map<string, string>();

  return {
    async refresh(t) {
      await mirrorOf(t);
    },
    async baseTip(t, baseBranch) {
      return (
        await runGit(['rev-parse', '--verify', `${remoteBase(baseBranch)}^{commit}`], {
          cwd: mirrorPath(place(t)),
        })
      ).trim();
    },
    async contains(t, headSha, baseSha) {
      return isAncestor(mirrorPath(place(t)), baseSha, headSha);
    },
    async holdsContent(t, container, sha) {
      return holdsContent(mirrorPath(place(t)), container, sha);
    },
    async samePatch(t, baseBranch, a, b, bFrom) {
      const mirror = mirrorPath(place(t));
      const [first, second] = await Promise.all([
        patchId(mirror, baseBranch, a, patchIds),
        patchId(mirror, baseBranch, b, patchIds, bFrom),
      ]);
      return first !== undefined && first === second;
    },
    async diff(t, baseBranch, headSha, from) {
      const range = from ? [from, headSha] : [`${remoteBase(baseBranch)}...${headSha}`];
      return runGit(['diff', '--no-color', '--no-ext-diff', '--no-textconv', ...range], {
        cwd: mirrorPath(place(t)),
      });
    },
    async reviewCheckout(t, epicIssue, headSha, taskIssue) {
      const mirror = mirrorPath(place(t));
      const name =
        taskIssue === undefined ? `epic-${epicIssue}` : `epic-${epicIssue}-task-${taskIssue}`;
      const checkout = path.join(repoFolder(place(t)), 'reviews', name);
      if (existsSync(checkout)) {
        await runGit(['checkout', '--quiet', '--force', '--detach', headSha], { cwd: checkout });
        await runGit(['clean', '-fdxq'], { cwd: checkout });
        return checkout;
      }
      await runGit(['worktree', 'prune'], { cwd: mirror });
      await mkdir(path.dirname(checkout), { recursive: true });
      await runGit(['worktree', 'add', '--quiet', '--detach', checkout, headSha], { cwd: mirror });
      return checkout;
    },
    async updateBranch(t, method, expectedHeadSha, options = {}) {
      // The look that decided this update fetched a moment ago: fetch again only when the
      // mirror does not show the head it decided on (a second fetch is a network round trip
      // per update; a base that moved since is caught by the next look, the push by its lease).
      let mirror = mirrorPath(place(t));
      const known =
        existsSync(mirror) && (await refIs(mirror, remoteBase(t.branch), expectedHeadSha));
      if (!known) mirror = await mirrorOf(t);
      return updateInWorktree({
        mirror,
        place: place(t),
        target: t,
        method,
        expectedHeadSha,
        onto: options.onto,
        from: options.from,
        remote: () => remote(t),
        identity: await identity(t),
      });
    },
    async resetBranch(t, sha, expectedHeadSha) {
      const mirror = await mirrorOf(t);
      const remoteHead = await revParse(mirror, `${remoteBase(t.branch)}^{commit}`);
      if (remoteHead !== expectedHeadSha) return { outcome: 'head-moved', headSha: remoteHead };
      const worktree = await ensureTaskWorktree({
        mirror,
        path: t.worktreePath ?? taskWorktreePath(place(t), t.epicIssue, t.taskIssue),
        branch: t.branch,
        baseBranch: t.baseBranch,
      });
      await abortUnfinished(worktree.path);
      await runGit(['reset', '--quiet', '--hard', sha], { cwd: worktree.path });
      const headSha = await pushTaskBranch({
        gitDir: worktree.path,
        branch: t.branch,
        taskBranch: t.branch,
        prefix: t.branchPrefix,
        remote: await remote(t),
        forceWithLeaseSha: expectedHeadSha,
      });
      return { outcome: 'updated', headSha };
    },
    async removeEpicWorktrees(t, epicIssue) {
      const mirror = mirrorPath(place(t));
      if (!existsSync(mirror)) return [];
      const folder = path.join(repoFolder(place(t)), 'tasks');
      const removed = await removeWorktreesIn(mirror, folder, `${epicIssue}-`);
      const reviews = path.join(repoFolder(place(t)), 'reviews');
      removed.push(...(await removeWorktreesIn(mirror, reviews, `epic-${epicIssue}-task-`)));
      const review = path.join(reviews, `epic-${epicIssue}`);
      if (existsSync(review)) {
        await removeWorktree(mirror, review);
        removed.push(review);
      }
      return removed;
    },
  };
}

async function updateInWorktree(input: {
  mirror: string;
  place: RepoPlace;
  target: BranchTarget;
  method: 'rebase' | 'merge';
  expectedHeadSha: string;
  /** What to build on: the base tip unless told (the head of the PR ahead). */
  onto?: string;
  /** Where the PR's own commits end: its head unless told (its head before speculation). */
  from?: string;
  remote: () => Promise<RemoteCredentials>;
  identity: GitIdentity;
}): Promise<UpdateOutcome> {
  const { mirror, target, expectedHeadSha } = input;
  const remoteHead = await revParse(mirror, `${remoteBase(target.branch)}^{commit}`);
  if (remoteHead !== expectedHeadSha) return { outcome: 'head-moved', headSha: remoteHead };
  const baseSha =
    input.onto ?? (await revParse(mirror, `${remoteBase(target.baseBranch)}^{commit}`));
  const start = input.from ?? expectedHeadSha;
  if (start === expectedHeadSha && (await isAncestor(mirror, baseSha, expectedHeadSha)))
    return { outcome: 'up-to-date', headSha: expectedHeadSha };

  const worktree = await ensureTaskWorktree({
    mirror,
    path: target.worktreePath ?? taskWorktreePath(input.place, target.epicIssue, target.taskIssue),
    branch: target.branch,
    baseBranch: target.baseBranch,
  });
  const cwd = worktree.path;
  // The PR's head is the truth; the worker is idle while its PR is in review.
  await abortUnfinished(cwd);
  await runGit(['reset', '--quiet', '--hard', start], { cwd });
  const env = identityEnv(input.identity);
  const noHooks = ['-c', 'core.hooksPath=/dev/null'];
  try {
    if (input.method === 'rebase') {
      await runGit([...noHooks, 'rebase', '--quiet', '--no-autostash', baseSha], { cwd, env });
    } else {
      await runGit(
        [
          ...noHooks,
          'merge',
          '--quiet',
          '--no-edit',
          '--no-verify',
          '-m',
          `Merge ${target.baseBranch} into ${target.branch}`,
          baseSha,
        ],
        { cwd, env },
      );
    }
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const files = await conflictedFiles(cwd);
    await abortUnfinished(cwd);
    await runGit(['reset', '--quiet', '--hard', expectedHeadSha], { cwd });
    if (files.length === 0) throw error; // Not a conflict: a real failure, retried by the job.
    return { outcome: 'conflict', files };
  }
  const headSha = await pushTaskBranch({
    gitDir: cwd,
    branch: target.branch,
    taskBranch: target.branch,
    prefix: target.branchPrefix,
    remote: await input.remote(),
    forceWithLeaseSha: expectedHeadSha,
  });
  return { outcome: 'updated', headSha };
}

async function revParse(gitDir: string, rev: string): Promise<string> {
  return (await runGit(['rev-parse', '--verify', rev], { cwd: gitDir })).trim();
}

/** `git merge-tree --write-tree` (git 2.38+): exit 1 is a conflict, anything else a failure. */
async function holdsContent(gitDir: string, container: string, sha: string): Promise<boolean> {
  let merged: string;
  try {
    merged = await runGit(['merge-tree', '--write-tree', '--no-messages', container, sha], {
      cwd: gitDir,
    });
  } catch (error) {
    if (error instanceof GitError && error.exitCode === 1) return false;
    throw error;
  }
  const tree = merged.split('\n')[0]?.trim();
  return tree === (await revParse(gitDir, `${container}^{tree}`));
}

async function refIs(gitDir: string, ref: string, sha: string): Promise<boolean> {
  const found = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    cwd: gitDir,
  }).catch(() => '');
  return found.trim() === sha;
}

async function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  try {
    await runGit(['merge-base', '--is-ancestor', ancestor, descendant], { cwd: gitDir });
    return true;
  } catch (error) {
    if (error instanceof GitError && error.exitCode === 1) return false;
    throw error;
  }
}

async function conflictedFiles(cwd: string): Promise<string[]> {
  const out = await runGit(['diff', '--name-only', '--diff-filter=U'], { cwd }).catch(() => '');
  return out.split('\n').filter(Boolean);
}

async function abortUnfinished(cwd: string): Promise<void> {
  await runGit(['rebase', '--abort'], { cwd }).catch(() => undefined);
  await runGit(['merge', '--abort'], { cwd }).catch(() => undefined);
}

/**
 * The change a commit makes relative to the base, with what does not change
 * its meaning left out (blob ids, hunk positions, whitespace) — the idea of
 * `git patch-id`. Equal for a PR and its clean update onto a newer base.
 */
async function patchId(
  mirror: string,
  baseBranch: string,
  sha: string,
  known: Map<string, string>,
  from?: string,
): Promise<string | undefined> {
  try {
    const mergeBase =
      from ?? (await runGit(['merge-base', remoteBase(baseBranch), sha], { cwd: mirror })).trim();
    const key = `${mergeBase}:${sha}`;
    const seen = known.get(key);
    if (seen) return seen;
    const diff = await runGit(
      ['diff', '--no-color', '--no-ext-diff', '--no-textconv', mergeBase, sha],
      {
        cwd: mirror,
      },
    );
    const id = createHash('sha256').update(normalizePatch(diff)).digest('hex');
    if (known.size > 5_000) known.clear();
    known.set(key, id);
    return id;
  } catch (error) {
    if (error instanceof GitError) return undefined;
    throw error;
  }
}

export function normalizePatch(diff: string): string {
  return diff
    .split('\n')
    .filter((line) => !line.startsWith('index '))
    .map((line) => (line.startsWith('@@') ? '@@' : line.replace(/\s+/g, '')))
    .join('\n');
}

function identityEnv(identity: GitIdentity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
}
