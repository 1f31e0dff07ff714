import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the Claude Code engine keeps a session's transcript, which `resume`
 * reads: `<home>/.claude/projects/<project>/<sessionId>.jsonl`, the project
 * folder being the working directory with every character other than a
 * letter or digit replaced by `-` (engine 2.1; a name longer than 200
 * characters is cut and given a hash suffix, matched here by its prefix).
 */
export function sessionTranscriptExists(home: string, sessionId: string, cwd: string): boolean {
  // A session id is a UUID; anything else must not become part of a path.
  if (!/^[A-Za-z0-9-]+$/.test(sessionId)) return false;
  const projects = path.join(home, '.claude', 'projects');
  if (!existsSync(projects)) return false;
  const file = `${sessionId}.jsonl`;
  const entries = readdirSync(projects);
  return projectNames(cwd).some((name) =>
    name.length <= 200
      ? existsSync(path.join(projects, name, file))
      : entries.some(
          (entry) =>
            entry.startsWith(`${name.slice(0, 200)}-`) &&
            existsSync(path.join(projects, entry, file)),
        ),
  );
}

function projectNames(cwd: string): string[] {
  const names = [cwd];
  try {
    names.push(realpathSync(cwd));
  } catch {
    // A worktree that is gone has no real path; its name alone is looked up.
  }
  return [...new Set(names.map((dir) => dir.replace(/[^a-zA-Z0-9]/g, '-')))];
}
