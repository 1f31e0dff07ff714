import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../../../src/db/connection.js';
import type { CrashPoint } from '../../../src/crashPoint.js';
import type { IssueRecord, RepoRecord } from '../../support/githubEmulator/records.js';
import type { FactoryLoop } from './loop.js';
import { epicCompleted } from './loopRecords.js';
import { twoTaskEpicIssue, type TurnHolds } from './twoTaskEpic.js';

/**
 * One crash of the app during one epic, and its recovery: the end-to-end
 * crash tests and `npm run bench:recovery` share it. Each case runs its epic
 * in a repository of its own on the loop's one emulator and app.
 */

/** Where the app dies: at a merge-queue crash point, or while an agent's turn is held back. */
export type CrashCase = { kind: CrashPoint } | { kind: 'worker-turn' | 'supervisor-turn' };

export const stepCrashCases: CrashCase[] = [
  { kind: 'review' },
  { kind: 'update-branch' },
  { kind: 'speculate' },
  { kind: 'merge' },
  { kind: 'complete-epic' },
];
export const turnCrashCases: CrashCase[] = [{ kind: 'worker-turn' }, { kind: 'supervisor-turn' }];

/**
 * The emulated CI: in a repository with `.slow-ci`, its first run sleeps
 * first, so that the head PR's checks are still running when the PR behind
 * it is approved (the moment of a speculative build). Once per loop (a
 * marker folder in its work folder), so later runs cost nothing extra.
 */
export const crashCiCommand = (workDir: string) =>
  `if [ -f .slow-ci ] && mkdir '${workDir}/slow-ci-once' 2>/dev/null; then sleep 75; fi; npm test`;

/** What a case's repository needs so that its crash point is reached. */
export function crashRepoFiles(kind: CrashCase['kind']): Record<string, string> {
  const config =
    '# Factory settings for this repository.\ntest: npm test\nmaxParallelTasks: 2\nmergeMethod: squash\n';
  switch (kind) {
    // Without speculation the PR behind is brought up to date after the first merge.
    case 'update-branch':
      return { '.github/factory.yml': `${config}mergeQueue:\n  speculate: false\n` };
    case 'speculate':
      return { '.github/factory.yml': config, '.slow-ci': 'CI sleeps first here.\n' };
    default:
      return { '.github/factory.yml': config };
  }
}

export interface CrashOutcome {
  kind: CrashCase['kind'];
  repo: RepoRecord;
  epic: IssueRecord;
  /** The crash point the app's log says it died at (none for a turn case). */
  crashedAt: string | undefined;
  /** From the kill to the first thing the app did on GitHub after it (restart included). */
  recoverySeconds: number;
  /** From the kill to the epic completed. */
  completeSeconds: number;
}

/**
 * Starts the app (with FACTORY_CRASH_AT for a step case), opens the epic,
 * waits for the app to die (or kills it while the held turn is pending),
 * starts it again without the crash point and waits for the epic to
 * complete. The app is left running.
 */
export async function crashAndRecover(
  loop: FactoryLoop,
  db: Database,
  holds: TurnHolds,
  crash: CrashCase,
  timeoutMs: number,
): Promise<CrashOutcome> {
  const repo = await loop.addRepo(`textkit-${crash.kind}`, crashRepoFiles(crash.kind));
  const isTurn = crash.kind === 'worker-turn' || crash.kind === 'supervisor-turn';
  await loop.app.stop();
  const logStart = await logSize(loop);
  if (crash.kind === 'worker-turn') holds.workerMs = 60_000;
  if (crash.kind === 'supervisor-turn') holds.planMs = 60_000;
  const requestsBefore = loop.model.messageRequests().length;
  await loop.app.start(isTurn ? {} : { FACTORY_CRASH_AT: crash.kind });
  const epic = loop.openEpic(repo, {
    ...twoTaskEpicIssue,
    title: `${twoTaskEpicIssue.title} (${crash.kind})`,
  });
  if (isTurn) {
    const worker = crash.kind === 'worker-turn';
    await loop.model.waitForRequest(
      (request) =>
        request.seq >= requestsBefore &&
        request.view !== undefined &&
        request.view.turnIndex === (worker ? 2 : 1) &&
        (worker
          ? request.view.system.includes('Factory worker')
          : request.view.toolNames.includes('mcp__factory__submit_plan')),
      timeoutMs,
    );
    await loop.app.kill();
  } else if (!(await loop.app.waitForExit(timeoutMs))) {
    throw new Error(`the app did not reach the crash point ${crash.kind} within ${timeoutMs} ms`);
  }
  const killedAt = Date.now();
  const before = progressOnGitHub(repo, loop.emulator.app.botLogin);
  holds.workerMs = 0;
  holds.planMs = 0;
  await loop.app.start();
  const progressedAt = await loop.waitFor(
    'the first progress on GitHub after the crash',
    () => progressOnGitHub(repo, loop.emulator.app.botLogin) !== before && Date.now(),
    timeoutMs,
  );
  await loop.waitFor(
    `the epic of ${repo.name} to complete`,
    () => epicCompleted(db, repo, epic),
    timeoutMs,
  );
  return {
    kind: crash.kind,
    repo,
    epic,
    crashedAt: await crashPointInLog(loop, logStart),
    recoverySeconds: (progressedAt - killedAt) / 1000,
    completeSeconds: (Date.now() - killedAt) / 1000,
  };
}

/**
 * What the app has done on GitHub, as one string that changes with anything
 * new it does: its comments (and their edits), reviews, labels, issue and PR
 * states, pushed heads, merges and its own check runs. The emulated CI's
 * check runs are not the app's progress and are left out.
 */
export function progressOnGitHub(repo: RepoRecord, botLogin: string): string {
  const issues = [...repo.issues.values()].map((issue) => [
    issue.number,
    issue.state,
    issue.labels.join(','),
    issue.subIssueIds.length,
    issue.pull?.headSha,
    issue.pull?.merged,
    issue.pull?.reviews.length,
  ]);
  const comments = [...repo.comments.values()]
    .filter((comment) => comment.user.login === botLogin)
    .map((comment) => [comment.id, comment.updatedAt.getTime()]);
  const checks = repo.checkRuns
    .filter((check) => check.app === 'factory')
    .map((check) => [check.id, check.status, check.conclusion]);
  return JSON.stringify({ issues, comments, checks });
}

export async function logSize(loop: FactoryLoop): Promise<number> {
  return (await readFile(path.join(loop.workDir, 'factory.log'), 'utf8').catch(() => '')).length;
}

/** The crash point the app logged reaching after `from` (a character offset of its log). */
export async function crashPointInLog(
  loop: FactoryLoop,
  from: number,
): Promise<string | undefined> {
  // The dead process's last lines may still be on their way through the pipe into the file.
  const deadline = Date.now() + 5_000;
  for (;;) {
    const log = await readFile(path.join(loop.workDir, 'factory.log'), 'utf8').catch(() => '');
    const line = log
      .slice(from)
      .split('\n')
      .find((entry) => entry.includes('crash point reached'));
    if (line) return (JSON.parse(line) as { point?: string }).point;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
