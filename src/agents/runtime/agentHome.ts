import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The home folder agents run with (HOME in their environment): Claude Code
 * keeps its session transcripts here, and git finds an identity for commits.
 * Nothing of the app user's own home is visible through it.
 *
 * Each workspace (a task's worktree, an epic's checkout, a mail scratch
 * folder) has a home of its own under the agents' root, and a jail sees only
 * that one: an agent cannot read the transcripts of agents working elsewhere.
 * The scope is the workspace, not the agent row, because the engine keeps a
 * session per working directory and `resume` must find it when another
 * attempt, a replacement agent after a crash, or another worker process
 * (sharing the root) carries that workspace's session on.
 */
export function workspaceHome(root: string, cwd: string): string {
  const where = realOrSelf(cwd);
  const readable = where
    .replace(/[^a-zA-Z0-9]/g, '-')
    .slice(-60)
    .replace(/^-+/, '');
  const digest = createHash('sha256').update(where).digest('hex').slice(0, 12);
  return path.join(root, `${readable}-${digest}`);
}

export function ensureAgentHome(home: string): string {
  mkdirSync(path.join(home, '.claude'), { recursive: true, mode: 0o700 });
  const gitconfig = path.join(home, '.gitconfig');
  if (!existsSync(gitconfig)) {
    writeFileSync(
      gitconfig,
      '[user]\n\tname = Factory\n\temail = factory@users.noreply.github.com\n',
    );
  }
  return home;
}

function realOrSelf(target: string): string {
  try {
    return realpathSync(target);
  } catch {
    // A worktree that is gone still names the home its sessions were in.
    return path.resolve(target);
  }
}
