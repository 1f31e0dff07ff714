import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  botIdentity,
  commitAll,
  ensureMirror,
  ensureTaskWorktree,
  pushTaskBranch,
  taskWorktreePath,
} from '../../../src/git/index.js';
import { createMergeQueueGit } from '../../../src/mergeQueue/gitOperations.js';
import type { BranchTarget, MergeQueueGit } from '../../../src/mergeQueue/ports.js';
import type { GitHubClients } from '../../../src/deps.js';
import { execFileSync } from 'node:child_process';
import { createBareRemote, git } from '../../support/git/localRemote.js';

/**
 * The attack from issue #13: an agent plants a filter (and every other program
 * git could be told to run) in each config it can reach, then waits for the
 * app's own add/commit/push/rebase/merge/diff/checkout to run it with the app's
 * environment. Each planted program would write a canary file holding `env`.
 */

const secrets = {
  WEBHOOK_SECRET: 'canary-webhook-secret-5b1e',
  PRIVATE_KEY: 'canary-private-key-9f3a',
  DATABASE_URL: 'postgres://factory:canary-db-password-77c2@127.0.0.1:5432/factory',
  REDIS_URL: 'redis://:canary-redis-password-41d0@127.0.0.1:6379',
  ANTHROPIC_API_KEY: 'canary-model-key-e8a6',
};

const hookNames = [
  'pre-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-push',
  'post-checkout',
  'post-merge',
  'pre-rebase',
  'post-rewrite',
  'reference-transaction',
  'pre-auto-gc',
];

let root: string;
let bare: string;
let person: string;
let canaries: string;
let agentHome: string;
let ops: MergeQueueGit;
const savedEnv = { ...process.env };
const identity = botIdentity('factory-app[bot]', 4242);
const place = () => ({ root: path.join(root, 'worktrees'), owner: 'acme', repo: 'widgets' });
const branch = 'factory/1-2-hostile';
const target: BranchTarget = {
  installationId: 1,
  owner: 'acme',
  repo: 'widgets',
  epicIssue: 1,
  taskIssue: 2,
  branch,
  baseBranch: 'main',
  branchPrefix: 'factory',
  worktreePath: null,
};

function writeCanaryScript(): string {
  const script = path.join(agentHome, 'canary.sh');
  // A filter must pass its input through; everything else just leaves its mark.
  writeFileSync(
    script,
    `#!/bin/sh\nenv > "${canaries}/$1"\nif [ "$2" = filter ]; then cat; fi\nexit 0\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

function canaryConfig(script: string, hooks: string, included: string): string {
  return [
    '[core]',
    `  hooksPath = ${hooks}`,
    `  fsmonitor = ${script} fsmonitor`,
    `  sshCommand = ${script} ssh`,
    `  pager = ${script} pager`,
    `  editor = ${script} editor`,
    `  askPass = ${script} askpass`,
    `  attributesFile = ${path.join(agentHome, 'attributes')}`,
    '[filter "canary"]',
    `  clean = ${script} filter-clean filter`,
    `  smudge = ${script} filter-smudge filter`,
    `  process = ${script} filter-process`,
    '[diff]',
    `  external = ${script} diff-external`,
    '[diff "canary"]',
    `  textconv = ${script} textconv`,
    '[merge "canary"]',
    `  driver = ${script} merge-driver %O %A %B`,
    '[sequence]',
    `  editor = ${script} sequence-editor`,
    '[credential]',
    `  helper = !${script} credential`,
    '[include]',
    `  path = ${included}`,
    '[extensions]',
    '  worktreeConfig = true',
    '',
  ].join('\n');
}

function plantHooks(folder: string, script: string) {
  mkdirSync(folder, { recursive: true });
  for (const name of hookNames) {
    const hook = path.join(folder, name);
    writeFileSync(hook, `#!/bin/sh\nexec ${script} hook-${name}\n`);
    chmodSync(hook, 0o755);
  }
}

/** Everything a worker can reach from its jail: the worktree, its admin folder, its home. */
function poison(worktree: string) {
  const script = writeCanaryScript();
  const hooks = path.join(agentHome, 'hooks');
  plantHooks(hooks, script);
  plantHooks(path.join(worktree, '.githooks'), script);
  const included = path.join(agentHome, 'included.gitconfig');
  writeFileSync(included, `[core]\n  fsmonitor = ${script} include-fsmonitor\n`);
  const config = canaryConfig(script, hooks, included);
  writeFileSync(path.join(agentHome, 'attributes'), '* filter=canary diff=canary merge=canary\n');
  writeFileSync(path.join(agentHome, '.gitconfig'), config);
  mkdirSync(path.join(agentHome, '.config', 'git'), { recursive: true });
  writeFileSync(path.join(agentHome, '.config', 'git', 'config'), config);
  writeFileSync(
    path.join(agentHome, '.config', 'git', 'attributes'),
    '* filter=canary diff=canary merge=canary\n',
  );

  // The worktree's administrative folder is writable in the jail: config there, and a
  // commondir sending git to a repository of the agent's own.
  const adminDir = path.resolve(
    worktree,
    /gitdir:\s*(.+)/.exec(readFileSync(path.join(worktree, '.git'), 'utf8'))![1]!.trim(),
  );
  writeFileSync(path.join(adminDir, 'config.worktree'), config);
  writeFileSync(path.join(adminDir, 'config'), config);
  plantHooks(path.join(adminDir, 'hooks'), script);
  const fake = path.join(agentHome, 'fake.git');
  git(agentHome, 'init', '--bare', '--quiet', fake);
  git(
    fake,
    'fetch',
    '--quiet',
    path.join(place().root, 'acme', 'widgets', 'mirror.git'),
    '+refs/*:refs/*',
  );
  writeFileSync(path.join(fake, 'config'), `[core]\n  bare = false\n${config}`);
  writeFileSync(
    path.join(fake, 'info', 'attributes'),
    '* filter=canary diff=canary merge=canary\n',
  );
  plantHooks(path.join(fake, 'hooks'), script);
  writeFileSync(path.join(adminDir, 'commondir'), `${fake}\n`);

  // The `.git` file itself, pointing at an admin folder of the agent's making.
  const fakeAdmin = path.join(fake, 'worktrees', 'hostile');
  mkdirSync(fakeAdmin, { recursive: true });
  writeFileSync(path.join(fakeAdmin, 'HEAD'), `ref: refs/heads/${branch}\n`);
  writeFileSync(path.join(fakeAdmin, 'commondir'), '../..\n');
  writeFileSync(path.join(fakeAdmin, 'gitdir'), `${path.join(worktree, '.git')}\n`);
  writeFileSync(path.join(fakeAdmin, 'config.worktree'), config);
  writeFileSync(path.join(worktree, '.git'), `gitdir: ${fakeAdmin}\n`);

  // In the tree: attributes naming the drivers, and a file for them to act on.
  writeFileSync(
    path.join(worktree, '.gitattributes'),
    '* filter=canary diff=canary merge=canary\n',
  );
  writeFileSync(path.join(worktree, 'shared.txt'), 'one\ntwo (task)\nthree\nfour\nfive\n');
  writeFileSync(path.join(worktree, 'loot.txt'), 'whatever the filter would have put here\n');
}

/** The test's own git (a person, and reads of the remote): none of the planted config. */
function cleanGit(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...savedEnv, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

function pushFromPerson(files: Record<string, string>, message: string) {
  cleanGit(person, 'fetch', '--quiet', bare, '+refs/heads/*:refs/remotes/origin/*');
  cleanGit(person, 'checkout', '--quiet', '-B', 'main', 'origin/main');
  for (const [file, content] of Object.entries(files))
    writeFileSync(path.join(person, file), content);
  cleanGit(person, 'add', '--all');
  cleanGit(
    person,
    '-c',
    'user.name=P',
    '-c',
    'user.email=p@example.com',
    'commit',
    '-q',
    '-m',
    message,
  );
  cleanGit(person, 'push', '--quiet', bare, 'main:main');
}

/** Every blob the remote holds, as text. */
function remoteContent(): string {
  const objects = git(
    bare,
    'cat-file',
    '--batch-all-objects',
    '--batch-check=%(objectname) %(objecttype)',
  );
  return objects
    .split('\n')
    .filter((line) => line.endsWith(' blob') || line.endsWith(' commit'))
    .map((line) => cleanGit(bare, 'cat-file', '-p', line.split(' ')[0]!))
    .join('\n');
}

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'factory-planted-git-'));
  canaries = path.join(root, 'canaries');
  agentHome = path.join(root, 'agent-home');
  mkdirSync(canaries);
  mkdirSync(agentHome);
  bare = createBareRemote(root, 'widgets', { 'shared.txt': 'one\ntwo\nthree\nfour\nfive\n' });
  person = path.join(root, 'person');
  git(root, 'clone', '--quiet', bare, person);
  const noGitHub = {} as GitHubClients; // The remote and identity below are given; GitHub is never asked.
  ops = createMergeQueueGit(
    { env: { WORKTREE_DIR: place().root }, github: noGitHub },
    { remote: () => Promise.resolve({ url: bare }), identity: () => Promise.resolve(identity) },
  );
});

afterAll(() => {
  process.env = savedEnv;
  rmSync(root, { recursive: true, force: true });
});

describe('git the app runs on a poisoned worktree', { timeout: 240_000 }, () => {
  it('runs none of the planted programs through commit, push, rebase, merge, diff and checkout, and pushes no secret', async () => {
    const mirror = await ensureMirror(place(), { url: bare });
    const worktree = (
      await ensureTaskWorktree({
        mirror,
        path: taskWorktreePath(place(), 1, 2),
        branch,
        baseBranch: 'main',
      })
    ).path;
    poison(worktree);
    // The app's own environment holds the secrets, and its HOME is the poisoned one.
    Object.assign(process.env, secrets, {
      HOME: agentHome,
      XDG_CONFIG_HOME: path.join(agentHome, '.config'),
      GIT_EXTERNAL_DIFF: `${path.join(agentHome, 'canary.sh')} env-external-diff`,
    });

    const commit = await commitAll(worktree, identity, 'Hostile work');
    expect(commit.committed).toBe(true);
    const pushed = await pushTaskBranch({
      gitDir: worktree,
      branch,
      taskBranch: branch,
      prefix: 'factory',
      remote: { url: bare },
    });
    expect(cleanGit(bare, 'show', `${branch}:loot.txt`)).toBe(
      'whatever the filter would have put here\n',
    );

    pushFromPerson({ 'shared.txt': 'one\ntwo\nthree\nfour\nfive (base)\n' }, 'base moves');
    await ops.refresh(target);
    const rebased = await ops.updateBranch(target, 'rebase', pushed);
    expect(rebased.outcome).toBe('updated');
    if (rebased.outcome !== 'updated') return;
    expect(cleanGit(bare, 'show', `${branch}:shared.txt`)).toBe(
      'one\ntwo (task)\nthree\nfour\nfive (base)\n',
    );
    const diff = await ops.diff(target, 'main', rebased.headSha);
    expect(diff).toContain('+two (task)');

    pushFromPerson({ 'shared.txt': 'zero\none\ntwo\nthree\nfour\nfive (base)\n' }, 'base again');
    await ops.refresh(target);
    const merged = await ops.updateBranch(target, 'merge', rebased.headSha);
    expect(merged.outcome).toBe('updated');
    await ops.reviewCheckout(target, 1, rebased.headSha, 2);

    expect(readdirSync(canaries)).toEqual([]);
    const content = remoteContent();
    for (const value of Object.values(secrets)) expect(content).not.toContain(value);

    // The plants were live: git run the ordinary way in that worktree obeys them and hands
    // the filter the environment with every secret in it.
    writeFileSync(path.join(worktree, 'loot.txt'), 'again\n');
    try {
      git(worktree, 'add', '--all');
    } catch {
      // The planted long-running filter does not speak git's protocol; it ran all the same.
    }
    const marks = readdirSync(canaries);
    expect(marks).toContain('filter-process');
    expect(readFileSync(path.join(canaries, 'filter-process'), 'utf8')).toContain(
      secrets.WEBHOOK_SECRET,
    );
  });
});

describe('a worktree whose record no longer names it', { timeout: 120_000 }, () => {
  it('is refused with the reason instead of guessed from its .git file', async () => {
    const mirror = await ensureMirror(place(), { url: bare });
    const worktree = (
      await ensureTaskWorktree({
        mirror,
        path: taskWorktreePath(place(), 1, 3),
        branch: 'factory/1-3-other',
        baseBranch: 'main',
      })
    ).path;
    writeFileSync(path.join(mirror, 'worktrees', '1-3', 'gitdir'), '/somewhere/else/.git\n');
    await expect(commitAll(worktree, identity, 'x')).rejects.toThrow(
      /not a worktree of a mirror Factory knows/,
    );
  });
});

describe(
  'a filter planted in the mirror’s own config (agents unjailed)',
  { timeout: 120_000 },
  () => {
    it('refuses the commit with the reason, and the filter never runs', async () => {
      const mirror = await ensureMirror(place(), { url: bare });
      const worktree = (
        await ensureTaskWorktree({
          mirror,
          path: taskWorktreePath(place(), 1, 4),
          branch: 'factory/1-4-unjailed',
          baseBranch: 'main',
        })
      ).path;
      const before = readdirSync(canaries).length;
      cleanGit(
        mirror,
        'config',
        'filter.canary.clean',
        `sh -c 'env > ${canaries}/mirror-filter; cat'`,
      );
      writeFileSync(path.join(worktree, '.gitattributes'), '* filter=canary\n');
      writeFileSync(path.join(worktree, 'x.txt'), 'x\n');
      await expect(commitAll(worktree, identity, 'x')).rejects.toThrow(
        /sets filter\.canary\.clean, which Factory never writes/,
      );
      expect(readdirSync(canaries)).toHaveLength(before);
      cleanGit(mirror, 'config', '--unset', 'filter.canary.clean');
    });
  },
);
