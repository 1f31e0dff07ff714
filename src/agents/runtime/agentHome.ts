import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The home folder agents run with (HOME in their environment): Claude Code
 * keeps its session transcripts here (so `resume` works across runs and
 * processes sharing the folder), and git finds an identity for commits.
 * Nothing of the app user's own home is visible through it.
 */
export function ensureAgentHome(home: string): string {
  mkdirSync(path.join(home, '.claude'), { recursive: true });
  const gitconfig = path.join(home, '.gitconfig');
  if (!existsSync(gitconfig)) {
    writeFileSync(
      gitconfig,
      '[user]\n\tname = Factory\n\temail = factory@users.noreply.github.com\n',
    );
  }
  return home;
}
