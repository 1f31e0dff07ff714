import { execFile } from 'node:child_process';
import path from 'node:path';
import { gitPlaceOf, type GitPlace } from './gitPlace.js';

/**
 * Runs one git command. Every git call of Factory goes through here so the
 * same rules hold everywhere: no terminal prompt (a missing credential fails
 * instead of hanging), a timeout, and errors that say which command failed
 * and what git printed — never the environment, which may hold a token.
 *
 * Git here runs on folders an agent has written to, so it must obey nothing
 * the agent could have planted. Three rules together make that so:
 * - it reads only config the app wrote: no system or global config, no
 *   attributes file outside the tree, and an explicit GIT_DIR, GIT_COMMON_DIR
 *   and GIT_WORK_TREE chosen by the app (`gitPlace.ts`), never a `.git` file
 *   or `commondir` the agent could redirect to a repository of its own. The
 *   mirror's config is bound read-only into the jail, and `config.worktree`
 *   is read only when the mirror's config enables it, which the app never does;
 *   so a filter, merge driver or textconv named by an in-tree `.gitattributes`
 *   has no definition and does not run;
 * - settings that run programs are forced off on the command line for every
 *   command (hooks, fsmonitor, editors, pager, ssh, signing), which also holds
 *   when agents run unjailed (AGENT_SANDBOX=off) and could write the mirror;
 * - its environment is built from nothing: PATH, HOME, locale and proxy
 *   settings, plus what the caller passes (an author, a token header). None of
 *   the app's secrets is there for git, or anything git starts, to read.
 */

export interface GitOptions {
  cwd: string;
  /** Added to git's minimal environment for this one git process only. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export class GitError extends Error {
  override name = 'GitError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `git ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || '(no output)'}`,
    );
  }
}

const defaultTimeoutMs = 10 * 60_000;

/** Settings that would run a program, switched off for every command the app runs. */
export const forcedGitSettings: readonly (readonly [string, string])[] = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['core.attributesFile', '/dev/null'],
  ['core.excludesFile', '/dev/null'],
  ['core.pager', 'cat'],
  ['core.editor', 'true'],
  ['sequence.editor', 'true'],
  ['core.sshCommand', 'ssh -o BatchMode=yes'],
  ['core.askPass', ''],
  ['credential.helper', ''],
  ['commit.gpgSign', 'false'],
  ['tag.gpgSign', 'false'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['submodule.recurse', 'false'],
  ['protocol.ext.allow', 'never'],
];

/** Host settings git may need to reach a remote; none of them is an app secret. */
const passedThrough = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/** Pure: the whole environment of one app git process. */
export function gitEnvironment(
  place: GitPlace,
  cwd: string,
  extra: Record<string, string> = {},
  host: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of passedThrough) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GIT_PAGER: 'cat',
    GIT_EDITOR: 'true',
    GIT_OPTIONAL_LOCKS: '0',
    // With no global config there is no identity; a merge or rebase asks for one even when
    // nothing is committed. Commands that commit pass the bot's, which replaces this.
    GIT_AUTHOR_NAME: 'Factory',
    GIT_AUTHOR_EMAIL: 'factory@localhost',
    GIT_COMMITTER_NAME: 'Factory',
    GIT_COMMITTER_EMAIL: 'factory@localhost',
  });
  if (place.gitDir) env.GIT_DIR = place.gitDir;
  if (place.commonDir) env.GIT_COMMON_DIR = place.commonDir;
  if (place.workTree) env.GIT_WORK_TREE = place.workTree;
  // Not a repository: git must not walk up and find one the app did not mean.
  if (!place.gitDir) env.GIT_CEILING_DIRECTORIES = path.dirname(path.resolve(cwd));
  return { ...env, ...extra };
}

/** Pure: the arguments with every forced setting in front of the caller's. */
export function gitArguments(args: readonly string[]): string[] {
  return [...forcedGitSettings.flatMap(([key, value]) => ['-c', `${key}=${value}`]), ...args];
}

export function runGit(args: readonly string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    let env: Record<string, string>;
    try {
      env = gitEnvironment(gitPlaceOf(options.cwd), options.cwd, options.env);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    execFile(
      'git',
      gitArguments(args),
      {
        cwd: options.cwd,
        env,
        timeout: options.timeoutMs ?? defaultTimeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = typeof error.code === 'number' ? error.code : null;
        reject(new GitError(args, code, String(stderr || error.message)));
      },
    );
  });
}
