import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  hiddenSystemPaths,
  systemFolderCandidates,
  type JailMount,
  type JailPlan,
} from './plan.js';

/**
 * What the host looks like to a jail plan: which system folders exist (and
 * which are links), which secret system files to hide, and where a worktree's
 * git directory really is. Read once per process for the system part.
 */

let system: Pick<JailPlan, 'systemFolders' | 'hidden' | 'emptyFile'> | undefined;

export function systemLayout(): Pick<JailPlan, 'systemFolders' | 'hidden' | 'emptyFile'> {
  system ??= {
    emptyFile: emptyFile(),
    systemFolders: systemFolderCandidates.flatMap((folder) => {
      try {
        const stat = lstatSync(folder);
        if (stat.isSymbolicLink()) return [{ path: folder, linkTo: readlinkSync(folder) }];
        return stat.isDirectory() ? [{ path: folder }] : [];
      } catch {
        return [];
      }
    }),
    hidden: hiddenSystemPaths.filter((entry) => {
      try {
        const stat = statSync(entry.path);
        return entry.kind === 'file' ? stat.isFile() : stat.isDirectory();
      } catch {
        return false;
      }
    }),
  };
  return system;
}

/**
 * The git directories a worktree needs inside the jail so `git status`, `diff`
 * and `log` work there. A plain repository keeps `.git` inside the worktree
 * (already mounted with it). A linked worktree's `.git` is a file naming
 * `<mirror>/worktrees/<name>`, whose `commondir` is the mirror's git directory:
 * the mirror is mounted read-only — the agent can plant no config, hook or
 * attribute there for the app's own git to obey — and the worktree's own
 * administrative folder (index, HEAD) writable for a worker, so staging works.
 * Commits of the agent's own need objects it can write: that is the agent git
 * view (jail-git), which replaces this when it lands.
 */
export function worktreeGitMounts(worktree: string, writable: boolean): JailMount[] {
  const dotGit = path.join(worktree, '.git');
  let text: string;
  try {
    if (!lstatSync(dotGit).isFile()) return [];
    text = readFileSync(dotGit, 'utf8');
  } catch {
    return [];
  }
  const match = /^gitdir:\s*(.+)$/m.exec(text);
  if (!match?.[1]) return [];
  const adminDir = path.resolve(worktree, match[1].trim());
  const commonFile = path.join(adminDir, 'commondir');
  const common = existsSync(commonFile)
    ? path.resolve(adminDir, readFileSync(commonFile, 'utf8').trim())
    : adminDir;
  const mounts: JailMount[] = [{ path: common, writable: false }];
  if (adminDir !== common) mounts.push({ path: adminDir, writable });
  return mounts;
}

function emptyFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'factory-jail-')), 'empty');
  writeFileSync(file, '', { mode: 0o444 });
  return file;
}
