import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { Database } from '../../../src/db/connection.js';
import type { IssueRecord, RepoRecord } from '../../support/githubEmulator/records.js';
import type { FactoryLoop } from './loop.js';
import { branches, commentsOn, duplicateBotComments, epicRecords } from './loopRecords.js';
import { twoPlannedTasks } from './twoTaskEpic.js';

const run = promisify(execFile);

export interface RunningEpic {
  repo: RepoRecord;
  issue: IssueRecord;
}

/** What both tests check of an epic after the crashes: complete, and nothing on GitHub twice. */
export async function expectCompletedOnce(loop: FactoryLoop, db: Database, e: RunningEpic) {
  const { repo, issue } = e;
  const name = repo.name;
  const { epic, tasks, entries } = await epicRecords(db, issue.number, repo.name);
  expect(epic.state, name).toBe('COMPLETED');
  expect(
    tasks.map((t) => t.title),
    name,
  ).toEqual(twoPlannedTasks.map((t) => t.title));
  expect(
    tasks.map((t) => t.state),
    name,
  ).toEqual(['COMPLETED', 'COMPLETED']);
  expect(
    entries.map((x) => x.state),
    name,
  ).toEqual(['merged', 'merged']);
  // One squashed commit per task on top of the first: no merge landed twice.
  const { stdout } = await run('git', ['rev-list', '--count', repo.defaultBranch], {
    cwd: repo.gitDir,
  });
  expect(Number(stdout.trim()), name).toBe(1 + twoPlannedTasks.length);
  const { stdout: files } = await run('git', ['ls-tree', '-r', '--name-only', 'main', 'src'], {
    cwd: repo.gitDir,
  });
  expect(files.split('\n'), name).toEqual(
    expect.arrayContaining(['src/truncate.js', 'src/wordCount.js']),
  );
  expect(await branches(repo), name).toEqual(
    ['main', ...tasks.map((t) => t.branch as string)].sort(),
  );
  const pulls = loop.pulls(repo);
  expect(pulls.map((p) => p.pull?.headRef).sort(), name).toEqual(tasks.map((t) => t.branch).sort());
  expect(
    pulls.every((p) => p.pull?.merged),
    name,
  ).toBe(true);
  expect(loop.issues(repo), name).toHaveLength(1 + twoPlannedTasks.length);
  const bot = loop.emulator.app.botLogin;
  expect(duplicateBotComments(repo, bot), name).toEqual([]);
  const onEpic = commentsOn(repo, issue.number).filter((c) => c.user.login === bot);
  for (const marker of ['plan', 'progress', 'merge-queue:epic-summary']) {
    expect(
      onEpic.filter((c) => c.marker === `<!-- factory:${marker} -->`),
      `${name} ${marker}`,
    ).toHaveLength(1);
  }
  for (const pull of pulls) {
    const reviews = pull.pull?.reviews.filter((r) => r.user.login === bot) ?? [];
    expect(reviews.length, `${name} PR #${pull.number}`).toBeGreaterThanOrEqual(1);
    // A review submitted before a crash is found, not submitted again.
    expect(new Set(reviews.map((r) => r.commitId)).size, `${name} PR #${pull.number}`).toBe(
      reviews.length,
    );
  }
}
