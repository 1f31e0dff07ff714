/**
 * The whole loop on one machine (issue 9, point 2): the app as its own
 * process, the GitHub emulator with the sample repository (textkit), the real
 * Claude Code engine following the scripted model. A maintainer labels an
 * epic; three tasks are planned, implemented, reviewed and merged, one of
 * them after an agent resolved a conflict.
 */
import { reviewCheckName } from '../../src/mergeQueue/review/reviewCheck.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import type { IssueRecord } from '../support/githubEmulator/records.js';
import { createEmptyPostgresDatabase } from '../support/database.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { FactoryLoop } from './support/loop.js';
import { printLogTail, tearDownLoop } from './support/logTail.js';
import {
  branches,
  commentsOn,
  duplicateBotComments,
  epicCompleted,
  epicRecords,
  testBaseBranch,
} from './support/loopRecords.js';
import { plannedTasks } from './support/textkitEpic.js';

const epicTimeoutMs = 240_000;
vi.setConfig({ testTimeout: 120_000, hookTimeout: epicTimeoutMs + 120_000 });

describe('an epic on the sample repository, end to end', () => {
  const redisPrefix = testRedisPrefix('e2e');
  let database: { url: string; drop(): Promise<void> } | undefined;
  let loop: FactoryLoop | undefined;
  let records: DatabaseHandle | undefined;
  let epic: IssueRecord;
  let failed = false;

  const started = () => {
    if (!loop || !records) throw new Error('the loop did not start');
    return { loop, db: records.db };
  };

  beforeAll(async () => {
    database = await createEmptyPostgresDatabase();
    loop = await FactoryLoop.start({
      redisUrl: testRedisUrl,
      redisPrefix,
      databaseUrl: database.url,
    });
    // As a repository would require it: CI and the supervisor's verdict, the App's approval not counting.
    loop.emulator.protectBranch(loop.repo, 'main', { requiredChecks: ['test', reviewCheckName] });
    const startedAt = Date.now();
    await loop.app.start();
    records = await openDatabase({ databaseUrl: database.url });
    epic = loop.openEpic();
    const db = records.db;
    const running = loop;
    await loop
      .waitFor('the epic to complete', () => epicCompleted(db, running.repo, epic), epicTimeoutMs)
      .catch(async (error: unknown) => {
        await printLogTail(running);
        throw error;
      });
    console.log(`epic completed ${Date.now() - startedAt} ms after the app started`);
  });

  afterEach(({ task }) => {
    if (task.result?.state === 'fail') failed = true;
  });

  afterAll(() => tearDownLoop({ loop, failed, records, redisPrefix, database }));

  it('merges all three changes into the base branch, whose own tests pass there', async () => {
    const { loop } = started();
    const base = await testBaseBranch(loop.repo);
    expect(base.files).toEqual(
      expect.arrayContaining([
        'src/truncate.js',
        'src/capitalize.js',
        'src/wordCount.js',
        'test/truncate.test.js',
        'test/capitalize.test.js',
        'test/wordCount.test.js',
      ]),
    );
    // Both sides of the conflict survived its resolution.
    expect(base.index).toContain("export { truncate } from './truncate.js';");
    expect(base.index).toContain("export { capitalize } from './capitalize.js';");
    expect(base.index).not.toMatch(/<<<<<<<|>>>>>>>/);
    expect(base.output).toMatch(/# fail 0/);
    expect(base.output).toMatch(/truncate cuts long text/);
  });

  it('ends with the epic COMPLETED and every task merged through the queue', async () => {
    const { loop, db } = started();
    const { epic: row, tasks, entries } = await epicRecords(db, epic.number);
    expect(row.state).toBe('COMPLETED');
    expect(row.completedAt).not.toBeNull();
    expect(tasks.map((t) => t.title)).toEqual(plannedTasks.map((t) => t.title));
    expect(tasks.map((t) => t.state)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(entries.map((e) => e.state)).toEqual(['merged', 'merged', 'merged']);
    for (const task of tasks) {
      const pull = loop.repo.issues.get(task.prNumber ?? -1);
      expect(pull?.pull?.merged, `PR of task #${task.issueNumber}`).toBe(true);
      expect(entries.find((e) => e.taskId === task.id)?.mergedSha).toBe(pull?.pull?.mergeCommitSha);
    }
    expect(loop.pulls()).toHaveLength(3);
  });

  it('resolved exactly one conflict, by a worker run of its own', async () => {
    const { db } = started();
    const { entries, runs } = await epicRecords(db, epic.number);
    expect(runs.filter((r) => r.purpose === 'resolve-conflict')).toHaveLength(1);
    expect(runs.filter((r) => r.purpose === 'rework')).toHaveLength(0);
    expect(entries.map((e) => e.reworkRounds).sort()).toEqual([0, 0, 1]);
    expect(runs.filter((r) => r.purpose === 'implement')).toHaveLength(3);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
  });

  it('closes the epic and its sub-issues, labelled done', () => {
    const { loop } = started();
    const subIssues = epic.subIssueIds.map(
      (id) => loop.issues().find((issue) => issue.id === id) as IssueRecord,
    );
    expect(subIssues.map((issue) => issue.title)).toEqual(plannedTasks.map((t) => t.title));
    for (const issue of [epic, ...subIssues]) {
      expect(issue.state, `#${issue.number}`).toBe('closed');
      expect(issue.labels, `#${issue.number}`).toContain('factory:done');
    }
    expect(loop.issues()).toHaveLength(4);
  });

  it('writes each bot comment once: one progress comment edited in place, one summary', () => {
    const { loop } = started();
    const bot = loop.emulator.app.botLogin;
    expect(duplicateBotComments(loop.repo, bot)).toEqual([]);
    const onEpic = commentsOn(loop.repo, epic.number).filter((c) => c.user.login === bot);
    const progress = onEpic.filter((c) => c.marker === '<!-- factory:progress -->');
    expect(progress).toHaveLength(1);
    expect(progress[0]?.updatedAt.getTime()).toBeGreaterThan(progress[0]?.createdAt.getTime() ?? 0);
    expect(progress[0]?.body).toContain('3 of 3 tasks merged.');
    expect(
      onEpic.filter((c) => c.marker === '<!-- factory:merge-queue:epic-summary -->'),
    ).toHaveLength(1);
    expect(onEpic.filter((c) => c.marker === '<!-- factory:plan -->')).toHaveLength(1);
  });

  it('keeps the conversation in Mail and the DecisionLog', async () => {
    const { loop, db } = started();
    const { tasks, decisions, mail, entries } = await epicRecords(db, epic.number);
    // Timing decides three things: how many clean rebases onto a moved base a PR needs, and
    // whether a reconciliation pass sees a merged PR before the merge step has recorded it, or
    // a head the app pushed before the update step has recorded it (it then records it
    // itself, to the same effect). None is part of the story; no other repair may happen.
    const repairs = decisions.filter((d) => d.decision.startsWith('repair:'));
    const expectedRepair = (repair: unknown) => {
      const kind = (repair as { kind?: string } | undefined)?.kind;
      return kind === 'pr-updated'
        ? expect.objectContaining({ kind: 'pr-updated' })
        : expect.objectContaining({ kind: 'pr-closed', merged: true });
    };
    expect(repairs.map((d) => d.context.repair)).toEqual(
      repairs.map((d) => expectedRepair(d.context.repair)),
    );
    const said = (taskId: number | null) =>
      decisions
        .filter((d) => d.taskId === taskId)
        .map((d) => d.decision)
        .filter((d) => d !== 'merge-queue update-branch: rebase' && !d.startsWith('repair:'));
    // The supervisor's plan and its sub-issues, before any task's work.
    expect(said(null)).toEqual([
      `planned epic #${epic.number} as 3 tasks`,
      `created 3 sub-issues for epic #${epic.number}`,
      'merge-queue complete-epic',
    ]);
    expect(decisions.at(-1)?.decision).toBe('merge-queue complete-epic');
    const conflicted = entries.find((e) => e.reworkRounds === 1);
    for (const task of tasks) {
      const story = said(task.id);
      // Each task is started once, its PR opened once, approved, merged — in that order.
      // Reviewing ahead and speculative CI add steps whose timing varies; nothing may fail.
      expect(story[0], task.title).toBe('start-task');
      expect(story.filter((d) => d === 'start-task')).toHaveLength(1);
      expect(story.at(-1), task.title).toBe('merge-queue merged');
      expect(
        story.filter((d) => /refused|fail|drop-speculation/.test(d)),
        task.title,
      ).toEqual([]);
      const opened = `opened PR #${task.prNumber} for task #${task.issueNumber}`;
      const steps =
        task.id === conflicted?.taskId
          ? // Its update hit a conflict; the worker got it back, resolved it, and it was reviewed again.
            [
              opened,
              'merge-queue update-branch: conflict',
              'merge-queue send-back: conflict',
              `rework round 1 of task #${task.issueNumber} pushed`,
              'merge-queue review: APPROVE',
              'merge-queue merged',
            ]
          : [opened, 'merge-queue review: APPROVE', 'merge-queue merged'];
      expect(inOrder(story, steps), `${task.title}: ${story.join(' → ')}`).toBe(true);
      expect(story.filter((d) => d === opened)).toHaveLength(1);
    }
    // The one message of this flow: the merge queue tells the worker about the conflict; it read it.
    expect(mail).toHaveLength(1);
    const [letter] = mail;
    const conflictedTask = tasks.find((t) => t.id === conflicted?.taskId);
    expect(letter?.taskId).toBe(conflictedTask?.id);
    expect(letter?.toAgentId).toBe(conflictedTask?.assignedAgentId);
    expect(letter?.subject).toMatch(
      new RegExp(`^Conflict with main on PR #${conflictedTask?.prNumber}`),
    );
    expect(letter?.body).toContain(
      `Your branch ${conflictedTask?.branch} no longer applies cleanly`,
    );
    expect(letter?.readAt).not.toBeNull();
    // The worker's conflict-resolution run was given that message.
    const resolution = loop.model
      .messageRequests()
      .find((r) => r.view.turnIndex === 0 && r.view.promptText.includes(letter?.subject ?? '?'));
    expect(resolution, 'a worker turn whose prompt carries the conflict mail').toBeDefined();
  });

  it('reviews each change once on GitHub and approves what merged', async () => {
    const { loop, db } = started();
    const { entries } = await epicRecords(db, epic.number);
    const bot = loop.emulator.app.botLogin;
    for (const pull of loop.pulls()) {
      const reviews = pull.pull?.reviews.filter((r) => r.user.login === bot) ?? [];
      const entry = entries.find((e) => e.prNumber === pull.number);
      // A PR behind the head is reviewed ahead of its turn; the app's clean rebase keeps its
      // patch, so that review stands. Only a PR whose diff changed (its conflict resolved
      // by the worker) is reviewed again.
      // (Whether it was reviewed ahead before its conflict showed is a matter of timing.)
      expect(reviews.length, `PR #${pull.number}`).toBeGreaterThanOrEqual(1);
      expect(reviews.length, `PR #${pull.number}`).toBeLessThanOrEqual(
        entry?.reworkRounds === 1 ? 2 : 1,
      );
      expect(new Set(reviews.map((r) => r.commitId)).size).toBe(reviews.length);
      // GitHub refuses an App's approval of its own PR: the verdict is a COMMENT review carrying it.
      expect(reviews.every((r) => r.state === 'COMMENTED')).toBe(true);
      expect(reviews.at(-1)?.body).toMatch(
        /<!-- factory:review verdict=APPROVE sha=[0-9a-f]{40} -->/,
      );
    }
  });

  it('stays within what the emulated GitHub serves, and the app accepts every webhook', () => {
    const { loop } = started();
    expect(loop.emulator.unhandled).toEqual([]);
    expect(loop.emulator.webhooks.failed().map((d) => `${d.event}.${d.action ?? ''}`)).toEqual([]);
    const writes = loop.emulator.requests.filter((r) => r.method !== 'GET').length;
    console.log(`${loop.emulator.requests.length} GitHub API requests, ${writes} of them writes`);
  });

  it('opens one branch and one PR per task', async () => {
    const { loop, db } = started();
    const { tasks } = await epicRecords(db, epic.number);
    const names = await branches(loop.repo);
    expect(names).toEqual(['main', ...tasks.map((t) => t.branch as string)].sort());
    expect(
      loop
        .pulls()
        .map((p) => p.pull?.headRef)
        .sort(),
    ).toEqual(tasks.map((t) => t.branch).sort());
  });
});

/** Whether `steps` occur in `story` in this order (other entries may come between them). */
function inOrder(story: string[], steps: string[]): boolean {
  let next = 0;
  for (const entry of story) if (entry === steps[next]) next += 1;
  return next === steps.length;
}
