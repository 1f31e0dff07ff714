import { execFile } from 'node:child_process';

/**
 * Runs one git command. Every git call of Factory goes through here so the
 * same rules hold everywhere: no terminal prompt (a missing credential fails
 * instead of hanging), a timeout, and errors that say which command failed
 * and what git printed — never the environment, which may hold a token.
 */

export interface GitOptions {
  cwd: string;
  /** Added to the inherited environment for this one git process only. */
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

export function runGit(args: readonly string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd: options.cwd,
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: '',
          SSH_ASKPASS: '',
          LC_ALL: 'C',
          ...options.env,
        },
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
