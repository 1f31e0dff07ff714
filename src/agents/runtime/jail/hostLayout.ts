import { lstatSync, mkdtempSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareAgentGitView } from '../../../git/agentGitView.js';
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
 * The git a worktree shows inside the jail, so `git status`, `diff`, `log` and
 * the agent's own commits work there. A plain repository keeps `.git` inside
 * the worktree (already mounted with it). A linked worktree of a mirror gets
 * the agent's own git view (`src/git/agentGitView.ts`) bound over its `.git`,
 * with the mirror's objects read-only: the mirror's config, hooks and info and
 * the worktree's administrative folder — everything the app's git reads — are
 * not in the jail at all, so nothing can be planted there.
 */
export function worktreeGitMounts(worktree: string, writable: boolean): JailMount[] {
  const view = prepareAgentGitView(worktree);
  if (!view) return [];
  return [
    { path: view.objects, writable: false },
    { path: view.gitDir, writable },
    { path: path.join(worktree, '.git'), source: view.dotGitFile, writable: false },
  ];
}

function emptyFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'factory-jail-')), 'empty');
  writeFileSync(file, '', { mode: 0o444 });
  return file;
}
