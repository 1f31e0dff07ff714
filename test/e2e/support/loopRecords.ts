import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../../../src/db/connection.js';
import {
  agentRuns,
  agents,
  decisionLog,
  epics,
  mail,
  mergeQueueEntries,
  tasks,
} from '../../../src/db/schema.js';
import type {
  CommentRecord,
  IssueRecord,
  RepoRecord,
} from '../../support/githubEmulator/records.js';

const run = promisify(execFile);

/**
 * What an end-to-end test checks after the loop ran: the app's records of
 * one epic, read straight from its database, and what the emulated GitHub
 * holds (comments, branches, the base branch's files).
 */
export async function epicRecords(db: Database, issueNumber: number, repoName?: string) {
  const [epic] = await db.select().from(epics).where(epicOf(issueNumber, repoName));
  if (!epic) throw new Error(`no epic row for issue #${issueNumber}`);
  const taskRows = await db
    .select()
    .from(tasks)
    .where(eq(tasks.epicId, epic.id))
    .orderBy(asc(tasks.position), asc(tasks.id));
  const entries = await db
    .select()
    .from(mergeQueueEntries)
    .where(eq(mergeQueueEntries.epicId, epic.id));
  const decisions = await db
    .select()
    .from(decisionLog)
    .where(eq(decisionLog.epicId, epic.id))
    .orderBy(asc(decisionLog.id));
  const letters = await db
    .select()
    .from(mail)
    .where(eq(mail.epicId, epic.id))
    .orderBy(asc(mail.id));
  const runs = await db
    .select({ purpose: agentRuns.purpose, status: agentRuns.status, kind: agents.kind })
    .from(agentRuns)
    .innerJoin(agents, eq(agents.id, agentRuns.agentId))
    .orderBy(asc(agentRuns.id));
  return { epic, tasks: taskRows, entries, decisions, mail: letters, runs };
}

/** The epic of this issue number; of this repository when several repositories have one. */
function epicOf(issueNumber: number, repoName?: string) {
  return repoName === undefined
    ? eq(epics.issueNumber, issueNumber)
    : and(eq(epics.issueNumber, issueNumber), eq(epics.repoName, repoName));
}

/** Comments on one issue or PR, with Factory's hidden marker (`<!-- factory:… -->`) when it has one. */
export function commentsOn(repo: RepoRecord, issueNumber: number) {
  return [...repo.comments.values()]
    .filter((comment) => comment.issueNumber === issueNumber)
    .map((comment) => ({ ...comment, marker: markerOf(comment) }));
}

function markerOf(comment: CommentRecord): string | undefined {
  return /<!-- factory:[^>]*-->/.exec(comment.body)?.[0];
}

/**
 * Bot comments that say the same thing twice on one issue or PR: the same
 * marker, or (for unmarked ones) the same body. Empty when each exists once.
 */
export function duplicateBotComments(repo: RepoRecord, botLogin: string): string[] {
  const seen = new Map<string, number>();
  for (const comment of repo.comments.values()) {
    if (comment.user.login !== botLogin) continue;
    const key = `#${comment.issueNumber} ${markerOf(comment) ?? comment.body}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([key, count]) => `${count}× ${key}`);
}

/** The branches of the emulator's bare repository. */
export async function branches(repo: RepoRecord): Promise<string[]> {
  const { stdout } = await run('git', ['for-each-ref', '--format=%(refname:short)', 'refs/heads'], {
    cwd: repo.gitDir,
  });
  return stdout.split('\n').filter(Boolean).sort();
}

/** Files with uncommitted changes in any of these worktrees (those that exist), by path in the repository. */
export async function uncommittedChanges(worktrees: (string | null)[]): Promise<string[]> {
  const changed: string[] = [];
  for (const dir of worktrees) {
    if (!dir || !existsSync(dir)) continue;
    const { stdout } = await run('git', ['status', '--porcelain'], { cwd: dir });
    changed.push(
      ...stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.slice(3)),
    );
  }
  return changed;
}

/**
 * Clones the base branch to a temporary folder and runs the repository's
 * own test command there; resolves with the files of src/ and test/ and the
 * test output, rejects when the tests fail. The folder is removed either way.
 */
export async function testBaseBranch(repo: RepoRecord) {
  const dir = await mkdtemp(path.join(tmpdir(), 'factory-e2e-clone-'));
  try {
    await run('git', ['clone', '--quiet', '--branch', repo.defaultBranch, repo.gitDir, dir]);
    const { stdout: files } = await run('git', ['ls-files', 'src', 'test'], { cwd: dir });
    const { stdout: index } = await run('git', ['show', 'HEAD:src/index.js'], { cwd: dir });
    const { stdout: output } = await run('npm', ['test'], { cwd: dir, timeout: 60_000 });
    return { files: files.split('\n').filter(Boolean).sort(), index, output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Factory's one progress comment on the epic, as GitHub shows it now. */
export function progressComment(repo: RepoRecord, issueNumber: number) {
  return commentsOn(repo, issueNumber).find((c) => c.marker === '<!-- factory:progress -->');
}

/**
 * Whether the epic finished: its row is COMPLETED, complete-epic recorded its
 * last step, GitHub shows it done and its progress comment says so. False
 * while the app has not written all of it yet.
 */
export async function epicCompleted(
  db: Database,
  repo: RepoRecord,
  issue: IssueRecord,
): Promise<boolean> {
  const [epic] = await db.select().from(epics).where(epicOf(issue.number, repo.name));
  if (epic?.state !== 'COMPLETED') return false;
  const last = await db
    .select({ id: decisionLog.id })
    .from(decisionLog)
    .where(
      and(eq(decisionLog.epicId, epic.id), eq(decisionLog.decision, 'merge-queue complete-epic')),
    );
  return (
    last.length > 0 &&
    issue.labels.includes('factory:done') &&
    (progressComment(repo, issue.number)?.body.includes('**Epic:** completed') ?? false)
  );
}
