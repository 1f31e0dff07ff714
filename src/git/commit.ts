import { runGit } from './gitCommand.js';
import { assertNoUnsafeConfig } from './mirror.js';

/** Who Factory's commits are by: the App's bot user, so GitHub links them to the App. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** `<slug>[bot]` with GitHub's no-reply address for that user id. */
export function botIdentity(botLogin: string, botUserId: number): GitIdentity {
  return { name: botLogin, email: `${botUserId}+${botLogin}@users.noreply.github.com` };
}

export interface CommitOutcome {
  /** False when the worktree had nothing to commit. */
  committed: boolean;
  sha: string;
}

/**
 * Commits everything in the worktree (new, changed and deleted files) as the
 * bot. Hooks are not run: the repository's code runs only inside the agent's
 * session and the configured test commands.
 */
export async function commitAll(
  worktree: string,
  identity: GitIdentity,
  message: string,
): Promise<CommitOutcome> {
  await assertNoUnsafeConfig(worktree);
  await runGit(['add', '--all'], { cwd: worktree });
  const staged = await runGit(['diff', '--cached', '--name-only', '-z'], { cwd: worktree });
  if (staged.length > 0) {
    await runGit(
      [
        '-c',
        'core.hooksPath=/dev/null',
        'commit',
        '--quiet',
        '--no-verify',
        '--no-gpg-sign',
        '-m',
        message,
      ],
      {
        cwd: worktree,
        env: {
          GIT_AUTHOR_NAME: identity.name,
          GIT_AUTHOR_EMAIL: identity.email,
          GIT_COMMITTER_NAME: identity.name,
          GIT_COMMITTER_EMAIL: identity.email,
        },
      },
    );
  }
  const sha = (await runGit(['rev-parse', 'HEAD'], { cwd: worktree })).trim();
  return { committed: staged.length > 0, sha };
}

/** Commits on HEAD that the base branch (as last fetched) does not have. */
export async function commitsAhead(worktree: string, baseBranch: string): Promise<number> {
  const count = await runGit(['rev-list', '--count', `refs/remotes/origin/${baseBranch}..HEAD`], {
    cwd: worktree,
  });
  return Number.parseInt(count.trim(), 10);
}
