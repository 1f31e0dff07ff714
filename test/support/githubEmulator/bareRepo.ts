import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface GitIdentity {
  name: string;
  email: string;
}

export interface CommitInfo {
  sha: string;
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
  timestamp: string;
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly stdout: string,
  ) {
    super(message);
  }
}

/** Runs git; resolves with stdout, or rejects with its stderr and exit code. */
export function git(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd: options.cwd, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = typeof error.code === 'number' ? error.code : null;
        reject(
          new GitError(
            `git ${args[0] ?? ''} failed: ${stderr.trim() || error.message}`,
            code,
            stdout,
          ),
        );
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

const identityEnv = (author: GitIdentity, committer: GitIdentity = author) => ({
  GIT_AUTHOR_NAME: author.name,
  GIT_AUTHOR_EMAIL: author.email,
  GIT_COMMITTER_NAME: committer.name,
  GIT_COMMITTER_EMAIL: committer.email,
});

/** GitHub's web-flow identity, which commits merges made through the API. */
export const webFlow: GitIdentity = { name: 'GitHub', email: 'noreply@github.com' };

/** A real bare repository, the emulated repository's git side. */
export class BareRepo {
  constructor(readonly gitDir: string) {}

  private run(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
    return git(['--git-dir', this.gitDir, ...args], options);
  }

  /** Creates the repository with one commit holding `sourceDir`'s files on `branch`. */
  static async create(gitDir: string, branch: string, sourceDir: string, author: GitIdentity) {
    await git(['init', '--quiet', '--bare', '--initial-branch', branch, gitDir]);
    const repo = new BareRepo(gitDir);
    await repo.run(['config', 'http.receivepack', 'true']);
    const scratch = await mkdtemp(path.join(tmpdir(), 'emulator-index-'));
    try {
      const env = { GIT_INDEX_FILE: path.join(scratch, 'index'), GIT_WORK_TREE: sourceDir };
      await git(['--git-dir', gitDir, 'add', '--all', '.'], { env, cwd: sourceDir });
      const tree = (await repo.run(['write-tree'], { env })).trim();
      const commit = await repo.commitTree(tree, [], 'Initial commit', author, author);
      await repo.run(['update-ref', `refs/heads/${branch}`, commit]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return repo;
  }

  async revParse(ref: string): Promise<string | null> {
    try {
      return (await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
    } catch {
      return null;
    }
  }

  /** Every branch and its commit. */
  async branches(): Promise<Map<string, string>> {
    const out = await this.run([
      'for-each-ref',
      '--format=%(refname:lstrip=2) %(objectname)',
      'refs/heads',
    ]);
    const branches = new Map<string, string>();
    for (const line of out.split('\n').filter(Boolean)) {
      const [name = '', sha = ''] = line.split(' ');
      branches.set(name, sha);
    }
    return branches;
  }

  /** A file's bytes, the entries of a directory, or null when `ref:path` does not exist. */
  async readPath(ref: string, filePath: string) {
    const object = `${ref}:${filePath.replace(/^\/+|\/+$/g, '')}`;
    let type: string;
    try {
      type = (await this.run(['cat-file', '-t', object])).trim();
    } catch {
      return null;
    }
    if (type === 'blob') {
      const sha = (await this.run(['rev-parse', object])).trim();
      const content = await this.run(['cat-file', 'blob', object]);
      return { kind: 'file' as const, sha, content };
    }
    const out = await this.run(['ls-tree', object]);
    const entries = out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [meta = '', name = ''] = line.split('\t');
        const [, objectType = '', sha = ''] = meta.split(' ');
        return { name, sha, type: objectType === 'tree' ? ('dir' as const) : ('file' as const) };
      });
    return { kind: 'dir' as const, entries };
  }

  /** Merges two commits without a worktree; conflicts are listed, not written. */
  async mergeTree(
    base: string,
    head: string,
  ): Promise<{ clean: boolean; tree: string; conflicts: string[] }> {
    try {
      const out = await this.run([
        'merge-tree',
        '--write-tree',
        '--name-only',
        '--no-messages',
        base,
        head,
      ]);
      return { clean: true, tree: out.split('\n')[0] ?? '', conflicts: [] };
    } catch (error) {
      if (error instanceof GitError && error.code === 1) {
        const [tree = '', ...files] = error.stdout.split('\n').filter(Boolean);
        return { clean: false, tree, conflicts: [...new Set(files)] };
      }
      throw error;
    }
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch {
      return false;
    }
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    try {
      return (await this.run(['merge-base', a, b])).trim();
    } catch {
      return null;
    }
  }

  async commitTree(
    tree: string,
    parents: string[],
    message: string,
    author: GitIdentity,
    committer = webFlow,
  ) {
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'];
    return (await this.run(args, { env: identityEnv(author, committer), input: message })).trim();
  }

  /** Moves a branch only if it still points where we think (a push in between loses nothing). */
  async updateBranch(branch: string, sha: string, expected: string | null) {
    const args = ['update-ref', `refs/heads/${branch}`, sha];
    if (expected) args.push(expected);
    await this.run(args);
  }

  async deleteBranch(branch: string) {
    await this.run(['update-ref', '-d', `refs/heads/${branch}`]);
  }

  /** Replays the commits of `head` not in `base` onto `base`, as GitHub's "rebase and merge" does. */
  async rebase(base: string, head: string, committer: GitIdentity = webFlow): Promise<string> {
    const scratch = await mkdtemp(path.join(tmpdir(), 'emulator-rebase-'));
    const worktree = path.join(scratch, 'tree');
    try {
      await this.run(['worktree', 'add', '--quiet', '--detach', worktree, base]);
      const commits = (await this.run(['rev-list', '--reverse', '--no-merges', `${base}..${head}`]))
        .split('\n')
        .filter(Boolean);
      if (commits.length > 0) {
        await git(['cherry-pick', '--allow-empty', '--keep-redundant-commits', ...commits], {
          cwd: worktree,
          env: { GIT_COMMITTER_NAME: committer.name, GIT_COMMITTER_EMAIL: committer.email },
        });
      }
      return (await git(['rev-parse', 'HEAD'], { cwd: worktree })).trim();
    } finally {
      await this.run(['worktree', 'remove', '--force', worktree]).catch(() => undefined);
      await rm(scratch, { recursive: true, force: true });
      await this.run(['worktree', 'prune']).catch(() => undefined);
    }
  }

  /** Commits files (path → content) on top of a branch without a worktree, as a person's push would. */
  async commitFiles(
    branch: string,
    files: Record<string, string>,
    message: string,
    author: GitIdentity,
  ) {
    const parent = await this.revParse(`refs/heads/${branch}`);
    const scratch = await mkdtemp(path.join(tmpdir(), 'emulator-index-'));
    try {
      const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
      if (parent) await this.run(['read-tree', parent], { env });
      for (const [file, content] of Object.entries(files)) {
        const blob = (await this.run(['hash-object', '-w', '--stdin'], { input: content })).trim();
        await this.run(['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], { env });
      }
      const tree = (await this.run(['write-tree'], { env })).trim();
      const commit = await this.commitTree(tree, parent ? [parent] : [], message, author, author);
      await this.updateBranch(branch, commit, parent);
      return { before: parent, after: commit };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Commits reachable from `head` but not from `base`, oldest first. */
  async commitsBetween(base: string | null, head: string): Promise<CommitInfo[]> {
    const range = base ? [`${base}..${head}`] : [head];
    const out = await this.run([
      'log',
      '--reverse',
      '--format=%H%x00%an%x00%ae%x00%cn%x00%ce%x00%aI%x00%B%x1e',
      ...range,
    ]);
    return out
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter(Boolean)
      .map((record) => {
        const [sha = '', an = '', ae = '', cn = '', ce = '', timestamp = '', message = ''] =
          record.split('\0');
        return {
          sha,
          author: { name: an, email: ae },
          committer: { name: cn, email: ce },
          timestamp,
          message: message.trim(),
        };
      });
  }

  async commit(sha: string): Promise<CommitInfo | null> {
    const [info] = await this.commitsBetween(`${sha}^@`, sha).catch(() => []);
    return info ?? null;
  }

  /** The diff GitHub shows for a PR: what `head` changed since it forked from `base`. */
  async diff(base: string, head: string): Promise<string> {
    return this.run(['diff', `${base}...${head}`]);
  }

  async changedFiles(base: string, head: string) {
    const numstat = await this.run(['diff', '--numstat', '--no-renames', `${base}...${head}`]);
    const status = await this.run(['diff', '--name-status', '--no-renames', `${base}...${head}`]);
    const statusByFile = new Map(
      status
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [code = 'M', name = ''] = line.split('\t');
          return [name, code] as const;
        }),
    );
    const files = [];
    for (const line of numstat.split('\n').filter(Boolean)) {
      const [added = '0', removed = '0', filename = ''] = line.split('\t');
      const code = statusByFile.get(filename) ?? 'M';
      const patch = await this.run(['diff', '--no-renames', `${base}...${head}`, '--', filename]);
      files.push({
        filename,
        status: code === 'A' ? 'added' : code === 'D' ? 'removed' : 'modified',
        additions: Number(added) || 0,
        deletions: Number(removed) || 0,
        changes: (Number(added) || 0) + (Number(removed) || 0),
        patch: patch.split('\n').slice(4).join('\n'),
      });
    }
    return files;
  }
}
