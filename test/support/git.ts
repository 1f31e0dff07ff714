import { execFile } from 'node:child_process';

/** Runs git in `cwd` with a fixed identity; rejects with git's stderr. */
export function runGit(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'Test',
          GIT_AUTHOR_EMAIL: 'test@example.com',
          GIT_COMMITTER_NAME: 'Test',
          GIT_COMMITTER_EMAIL: 'test@example.com',
          GIT_TERMINAL_PROMPT: '0',
          ...env,
        },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr || error.message)) : resolve(stdout),
    );
  });
}

/** A clone URL carrying the token as GitHub expects it for git over HTTPS (tests only). */
export function authenticatedUrl(cloneUrl: string, token: string) {
  const url = new URL(cloneUrl);
  url.username = 'x-access-token';
  url.password = token;
  return url.toString();
}

/**
 * git arguments that authenticate one command with a token in a header, so the
 * token never lands in a remote URL or on disk (the way the app should push).
 */
export function tokenHeaderArgs(token: string): string[] {
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return ['-c', `http.extraHeader=Authorization: Basic ${basic}`];
}
