/**
 * The whole loop with a crash (issue 9, point 3): the same epic as
 * epicLoop.test.ts, but the app process is SIGKILLed while worker agents run
 * and started again on the same database, Redis prefix and work folder. The
 * epic still completes, and nothing on GitHub exists twice.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { agentRuns, agents, tasks as taskTable } from '../../src/db/schema.js';
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
  uncommittedChanges,
} from './support/loopRecords.js';
import { plannedTasks } from './support/textkitEpic.js';

const epicTimeoutMs = 300_000;
vi.setConfig({ testTimeout: 120_000, hookTimeout: epicTimeoutMs + 180_000 });

/** At the moment of a crash: the worker runs in progress, and the files changed but not committed. */
interface CrashMoment {
  running: string[];
  uncommitted: string[];
}

describe('an epic whose app crashes while workers run', () => {
  const redisPrefix = testRedisPrefix('e2e-crash');
  let database: { url: string; drop(): Promise<void> } | undefined;
  let loop: FactoryLoop | undefined;
  let records: DatabaseHandle | undefined;
  let epic: IssueRecord;
  const crashes: CrashMoment[] = [];
  let failed = false;

  const started = () => {
    if (!loop || !records) throw new Error('the loop did not start');
    return { loop, db: records.db };
  };

  /** Waits for a worker's request for its last turn, notes what runs, kills the app, starts it again. */
  async function crashWhenAWorker(
    doing: 'implements' | 'resolves the conflict',
    db: DatabaseHandle['db'],
  ): Promise<CrashMoment> {
    const running = started().loop;
    await running.model.waitForRequest(
      (request) =>
        request.view !== undefined &&
        request.view.system.includes('Factory worker') &&
        request.view.turnIndex === (doing === 'implements' ? 2 : 1) &&
        request.view.promptText.includes('Conflict with main') === (doing !== 'implements'),
      epicTimeoutMs,
    );
    const runs = await db
      .select({ purpose: agentRuns.purpose })
      .from(agentRuns)
      .innerJoin(agents, eq(agents.id, agentRuns.agentId))
      .where(and(eq(agents.kind, 'worker'), eq(agentRuns.status, 'running')));
    const worktrees = await db.select({ path: taskTable.worktreePath }).from(taskTable);
    const uncommitted = await uncommittedChanges(worktrees.map((t) => t.path));
    await running.app.kill();
    await running.app.start();
    return { running: runs.map((r) => r.purpose), uncommitted };
  }

  beforeAll(async () => {
    database = await createEmptyPostgresDatabase();
    // Each worker's last model turn is held back this long: the window in which the app is killed.
    loop = await FactoryLoop.start({
      redisUrl: testRedisUrl,
      redisPrefix,
      databaseUrl: database.url,
      workerDelayMs: 5_000,
    });
    const running = loop;
    const startedAt = Date.now();
    try {
      await loop.app.start();
      records = await openDatabase({ databaseUrl: database.url });
      const db = records.db;
      epic = loop.openEpic();
      // Once while the three workers implement (their changes made, tested, not committed)…
      crashes.push(await crashWhenAWorker('implements', db));
      console.log(`first crash and restart ${Date.now() - startedAt} ms after the start`);
      // …and once while one resolves the conflict the merge queue sent back.
      crashes.push(await crashWhenAWorker('resolves the conflict', db));
      console.log(`second crash and restart ${Date.now() - startedAt} ms after the start`);
      await loop.waitFor(
        'the epic to complete',
        () => epicCompleted(db, running.repo, epic),
        epicTimeoutMs,
      );
      console.log(`epic completed ${Date.now() - startedAt} ms after the start`);
    } catch (error) {
      await printLogTail(running);
      throw error;
    }
  });

  afterEach(({ task }) => {
    if (task.result?.state === 'fail') failed = true;
  });

  afterAll(() => tearDownLoop({ loop, failed, records, redisPrefix, database }));

  it('crashed while workers ran, and gave their work back to be done again', async () => {
    const { db } = started();
    const [implementing, resolving] = crashes;
    // Mid-work: a worktree held a worker's change, not yet committed or pushed.
    expect(implementing?.running).toContain('implement');
    expect(implementing?.uncommitted).toEqual(expect.arrayContaining(['src/index.js']));
    expect(resolving?.running).toEqual(['resolve-conflict']);

    const { decisions, runs } = await epicRecords(db, epic.number);
    const deaths = decisions.filter((d) => d.decision.startsWith('agent-dead:'));
    // The implementations start again as new attempts; the conflict goes back to the merge
    // queue, which gives the same round to a worker again.
    const kinds = deaths.map((d) => d.decision);
    expect(kinds.at(-1)).toBe('agent-dead:hand-to-merge-queue');
    expect(kinds.slice(0, -1)).toEqual(kinds.slice(0, -1).map(() => 'agent-dead:requeue'));
    expect(kinds.length - 1).toBeGreaterThanOrEqual(implementing?.running.length ?? 1);
    // Two crashes are not a crash loop: the epic was never parked.
    expect(decisions.map((d) => d.decision)).not.toContain('park-epic');
    // The killed runs were closed as failed; nothing is left showing as running.
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
    expect(
      runs
        .filter((r) => r.status === 'failed')
        .map((r) => r.purpose)
        .sort(),
    ).toEqual(crashes.flatMap((crash) => crash.running).sort());
    expect(runs.filter((r) => r.purpose === 'resolve-conflict').map((r) => r.status)).toEqual([
      'failed',
      'succeeded',
    ]);
  });

  it('completes the epic: every task merged, the base branch holds every change and passes its tests', async () => {
    const { loop, db } = started();
    const { epic: row, tasks, entries } = await epicRecords(db, epic.number);
    expect(row.state).toBe('COMPLETED');
    expect(tasks.map((t) => t.title)).toEqual(plannedTasks.map((t) => t.title));
    expect(tasks.map((t) => t.state)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(entries.map((e) => e.state)).toEqual(['merged', 'merged', 'merged']);
    const base = await testBaseBranch(loop.repo);
    expect(base.files).toEqual(
      expect.arrayContaining(['src/truncate.js', 'src/capitalize.js', 'src/wordCount.js']),
    );
    expect(base.index).toContain("export { truncate } from './truncate.js';");
    expect(base.index).toContain("export { capitalize } from './capitalize.js';");
    expect(base.output).toMatch(/# fail 0/);
  });

  it('has no duplicate branch, PR or sub-issue', async () => {
    const { loop, db } = started();
    const { tasks, decisions } = await epicRecords(db, epic.number);
    expect(await branches(loop.repo)).toEqual(
      ['main', ...tasks.map((t) => t.branch as string)].sort(),
    );
    const pulls = loop.pulls();
    expect(pulls.map((p) => p.pull?.headRef).sort()).toEqual(tasks.map((t) => t.branch).sort());
    expect(pulls.every((p) => p.pull?.merged)).toBe(true);
    // The epic and its three sub-issues: no task was filed twice.
    expect(loop.issues()).toHaveLength(4);
    expect(epic.subIssueIds).toHaveLength(3);
    expect(new Set(loop.issues().map((i) => i.title)).size).toBe(4);
    for (const task of tasks) {
      expect(
        decisions.filter((d) => d.decision.startsWith('opened PR') && d.taskId === task.id),
        task.title,
      ).toHaveLength(1);
    }
  });

  it('writes each bot comment once', () => {
    const { loop } = started();
    const bot = loop.emulator.app.botLogin;
    expect(duplicateBotComments(loop.repo, bot)).toEqual([]);
    const onEpic = commentsOn(loop.repo, epic.number).filter((c) => c.user.login === bot);
    for (const marker of ['plan', 'progress', 'merge-queue:epic-summary']) {
      expect(
        onEpic.filter((c) => c.marker === `<!-- factory:${marker} -->`),
        marker,
      ).toHaveLength(1);
    }
    for (const pull of loop.pulls()) {
      // One review per commit reviewed (a PR reviewed ahead keeps that review through the
      // app's clean rebase; a resolved conflict is reviewed again), the last one approving.
      const reviews = pull.pull?.reviews.filter((r) => r.user.login === bot) ?? [];
      expect(reviews.length, `PR #${pull.number}`).toBeGreaterThanOrEqual(1);
      expect(new Set(reviews.map((r) => r.commitId)).size, `PR #${pull.number}`).toBe(
        reviews.length,
      );
      expect(reviews.at(-1)?.body).toMatch(
        /<!-- factory:review verdict=APPROVE sha=[0-9a-f]{40} -->/,
      );
    }
  });
});
