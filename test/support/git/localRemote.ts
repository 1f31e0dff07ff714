import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Git plumbing for tests: a bare repository seeded with files, and reads of what was pushed to it. */

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Creates `<root>/<name>.git` whose `main` holds `files`. Returns the bare repository's path. */
export function createBareRemote(
  root: string,
  name: string,
  files: Record<string, string>,
  branch = 'main',
): string {
  const bare = path.join(root, `${name}.git`);
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '--bare', '--quiet', `--initial-branch=${branch}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'factory-seed-'));
  git(work, 'init', '--quiet', `--initial-branch=${branch}`);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    writeFileSync(path.join(work, file), content);
  }
  git(work, 'add', '--all');
  git(
    work,
    '-c',
    'user.name=Seed',
    '-c',
    'user.email=seed@example.com',
    'commit',
    '--quiet',
    '-m',
    'Initial commit',
  );
  git(work, 'push', '--quiet', bare, `${branch}:${branch}`);
  return bare;
}

export function remoteBranches(bare: string): string[] {
  return git(bare, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/')
    .split('\n')
    .filter(Boolean);
}

export function fileAt(bare: string, ref: string, file: string): string {
  return git(bare, 'show', `${ref}:${file}`);
}

export function commitAuthor(bare: string, ref: string): string {
  return git(bare, 'log', '-1', '--format=%an <%ae>', ref).trim();
}
