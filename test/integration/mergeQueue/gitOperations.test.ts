import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubClients } from '../../../src/deps.js';
import { createMergeQueueGit } from '../../../src/mergeQueue/gitOperations.js';
import type { BranchTarget, MergeQueueGit } from '../../../src/mergeQueue/ports.js';
import { createBareRemote, fileAt, git } from '../../support/git/localRemote.js';

/** The merge queue's git against a real local bare repository: update, conflict, patch identity. */

const target = { installationId: 1, owner: 'acme', repo: 'widgets' };
const identity = { name: 'factory[bot]', email: '1+factory[bot]@users.noreply.github.com' };
const noGitHub: GitHubClients = {
  forInstallation: () => Promise.reject(new Error('no GitHub in this test')),
  installationToken: () => Promise.reject(new Error('no token in this test')),
  botLogin: () => Promise.resolve('factory[bot]'),
};

let root: string;
let bare: string;
let ops: MergeQueueGit;
let person: string;

/** Pushes a commit to `branch` (from `from`), as a person or a worker would. */
function pushCommit(branch: string, from: string, files: Record<string, string>, message: string) {
  git(person, 'fetch', '--quiet', bare, `+refs/heads/*:refs/remotes/origin/*`);
  git(person, 'checkout', '--quiet', '-B', branch, from);
  for (const [file, content] of Object.entries(files))
    writeFileSync(path.join(person, file), content);
  git(person, 'add', '--all');
  git(
    person,
    '-c',
    'user.name=P',
    '-c',
    'user.email=p@example.com',
    'commit',
    '--quiet',
    '-m',
    message,
  );
  git(person, 'push', '--quiet', '--force', bare, `${branch}:${branch}`);
  return git(person, 'rev-parse', 'HEAD').trim();
}

const branchTarget = (branch: string, taskIssue: number): BranchTarget => ({
  ...target,
  epicIssue: 1,
  taskIssue,
  branch,
  baseBranch: 'main',
  branchPrefix: 'factory',
  worktreePath: null,
});

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'factory-mq-git-'));
  bare = createBareRemote(root, 'widgets', {
    'a.txt': 'one\ntwo\nthree\n',
    'b.txt': 'alpha\n',
    'c.txt': 'red\n',
  });
  person = path.join(root, 'person');
  git(root, 'clone', '--quiet', bare, person);
  ops = createMergeQueueGit(
    { env: { WORKTREE_DIR: path.join(root, 'worktrees') }, github: noGitHub },
    { remote: () => Promise.resolve({ url: bare }), identity: () => Promise.resolve(identity) },
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('merge queue git', { timeout: 180_000 }, () => {
  it('rebases a PR whose base moved onto the new base, keeps its change, pushes with a lease, and reports the new head', async () => {
    const head = pushCommit('factory/1-2-b', 'origin/main', { 'b.txt': 'alpha\nbeta\n' }, 'b');
    pushCommit('main', 'origin/main', { 'c.txt': 'blue\n' }, 'base moves');
    await ops.refresh(target);
    const baseSha = await ops.baseTip(target, 'main');
    expect(await ops.contains(target, head, baseSha)).toBe(false);

    const outcome = await ops.updateBranch(branchTarget('factory/1-2-b', 2), 'rebase', head);
    expect(outcome.outcome).toBe('updated');
    if (outcome.outcome !== 'updated') return;
    expect(git(bare, 'rev-parse', 'factory/1-2-b').trim()).toBe(outcome.headSha);
    expect(fileAt(bare, 'factory/1-2-b', 'b.txt')).toBe('alpha\nbeta\n');
    expect(fileAt(bare, 'factory/1-2-b', 'c.txt')).toBe('blue\n');

    await ops.refresh(target);
    expect(await ops.contains(target, outcome.headSha, baseSha)).toBe(true);
    // The clean update carries the same change: the review of the old head still covers it.
    expect(await ops.samePatch(target, 'main', head, outcome.headSha)).toBe(true);
  });

  it('says up-to-date when the head already contains the base', async () => {
    await ops.refresh(target);
    const head = git(bare, 'rev-parse', 'factory/1-2-b').trim();
    const outcome = await ops.updateBranch(branchTarget('factory/1-2-b', 2), 'rebase', head);
    expect(outcome).toEqual({ outcome: 'up-to-date', headSha: head });
  });

  it('reports a real conflict with the files, and pushes nothing', async () => {
    const head = pushCommit(
      'factory/1-3-a',
      'origin/main',
      { 'a.txt': 'one\nTWO (task)\nthree\n' },
      'a',
    );
    pushCommit('main', 'origin/main', { 'a.txt': 'one\nTWO (main)\nthree\n' }, 'conflicting base');
    await ops.refresh(target);
    const outcome = await ops.updateBranch(branchTarget('factory/1-3-a', 3), 'rebase', head);
    expect(outcome).toEqual({ outcome: 'conflict', files: ['a.txt'] });
    expect(git(bare, 'rev-parse', 'factory/1-3-a').trim()).toBe(head);
    // The worktree is left clean at the PR head for the worker.
    const worktree = path.join(root, 'worktrees', 'acme', 'widgets', 'tasks', '1-3');
    expect(git(worktree, 'status', '--porcelain').trim()).toBe('');
    expect(git(worktree, 'rev-parse', 'HEAD').trim()).toBe(head);
  });

  it('merges the base in with the merge method', async () => {
    const head = pushCommit('factory/1-4-d', 'origin/main', { 'd.txt': 'new\n' }, 'd');
    pushCommit('main', 'origin/main', { 'c.txt': 'green\n' }, 'base moves again');
    await ops.refresh(target);
    const outcome = await ops.updateBranch(branchTarget('factory/1-4-d', 4), 'merge', head);
    expect(outcome.outcome).toBe('updated');
    const parents = git(bare, 'log', '-1', '--format=%P', 'factory/1-4-d').trim().split(' ');
    expect(parents).toHaveLength(2);
    expect(parents).toContain(head);
    expect(
      await ops.samePatch(target, 'main', head, git(bare, 'rev-parse', 'factory/1-4-d').trim()),
    ).toBe(true);
  });

  it('refuses to update a branch that moved on the remote since it was read', async () => {
    await ops.refresh(target);
    const stale = git(bare, 'rev-parse', 'factory/1-4-d~1').trim();
    const outcome = await ops.updateBranch(branchTarget('factory/1-4-d', 4), 'rebase', stale);
    expect(outcome.outcome).toBe('head-moved');
  });

  it('tells a different change apart (a new review is needed)', async () => {
    const first = pushCommit('factory/1-5-e', 'origin/main', { 'e.txt': 'one\n' }, 'e');
    const second = pushCommit('factory/1-5-e', 'origin/main', { 'e.txt': 'two\n' }, 'e again');
    await ops.refresh(target);
    expect(await ops.samePatch(target, 'main', first, second)).toBe(false);
    expect(await ops.samePatch(target, 'main', first, 'f'.repeat(40))).toBe(false);
  });

  it('gives the review a diff and a detached checkout of the head, and removes the epic worktrees', async () => {
    await ops.refresh(target);
    const head = git(bare, 'rev-parse', 'factory/1-5-e').trim();
    expect(await ops.diff(target, 'main', head)).toContain('+two');
    const checkout = await ops.reviewCheckout(target, 1, head);
    expect(git(checkout, 'rev-parse', 'HEAD').trim()).toBe(head);
    const removed = await ops.removeEpicWorktrees(target, 1);
    expect(removed.length).toBeGreaterThanOrEqual(3);
    expect(removed).toContain(checkout);
  });

  it('speculates: builds a PR on the head of the PR ahead, sees it hold the base in content once that PR is squashed in, and can drop the other PR’s commits', async () => {
    const ahead = pushCommit('factory/1-6-f', 'origin/main', { 'f.txt': 'ahead\n' }, 'f');
    const own = pushCommit('factory/1-7-g', 'origin/main', { 'g.txt': 'next\n' }, 'g');
    await ops.refresh(target);
    const base = await ops.baseTip(target, 'main');
    const built = await ops.updateBranch(branchTarget('factory/1-7-g', 7), 'rebase', own, {
      onto: ahead,
      from: own,
    });
    expect(built.outcome).toBe('updated');
    const speculated = built.outcome === 'updated' ? built.headSha : '';
    expect(git(bare, 'rev-parse', 'factory/1-7-g').trim()).toBe(speculated);
    expect(await ops.contains(target, speculated, ahead)).toBe(true);
    // Its own change, counted from the PR ahead, is the change that was reviewed.
    expect(await ops.samePatch(target, 'main', own, speculated, ahead)).toBe(true);
    expect(await ops.samePatch(target, 'main', own, speculated)).toBe(false);
    const diff = await ops.diff(target, 'main', speculated, ahead);
    expect(diff).toContain('+next');
    expect(diff).not.toContain('+ahead');
    // Before the PR ahead lands, the base does not hold it.
    expect(await ops.holdsContent(target, base, ahead)).toBe(false);

    // GitHub squashes the PR ahead: a new commit on the base with its tree.
    const squash = git(bare, 'commit-tree', `${ahead}^{tree}`, '-p', base, '-m', 'Squash f');
    git(bare, 'update-ref', 'refs/heads/main', squash.trim(), base);
    await ops.refresh(target);
    const newBase = await ops.baseTip(target, 'main');
    expect(await ops.contains(target, speculated, newBase)).toBe(false);
    expect(await ops.holdsContent(target, speculated, newBase)).toBe(true);
    expect(await ops.holdsContent(target, newBase, ahead)).toBe(true);
    // The PR's own head, built before the squash, does not hold it.
    expect(await ops.holdsContent(target, own, newBase)).toBe(false);

    // Dropping the speculation puts the PR's own head back, with a lease.
    expect(
      (await ops.resetBranch(branchTarget('factory/1-7-g', 7), own, 'f'.repeat(40))).outcome,
    ).toBe('head-moved');
    const reset = await ops.resetBranch(branchTarget('factory/1-7-g', 7), own, speculated);
    expect(reset).toEqual({ outcome: 'updated', headSha: own });
    expect(git(bare, 'rev-parse', 'factory/1-7-g').trim()).toBe(own);
  });
});
