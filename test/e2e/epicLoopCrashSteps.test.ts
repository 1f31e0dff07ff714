/**
 * Crash at every merge-queue step (issue 14). Two small epics run at once on
 * one emulator and one app: one whose queue builds the next PR speculatively
 * (its CI is slow, so the next PR is approved while the head's checks run),
 * one with speculation off (so the PR behind is brought up to date after the
 * first merge), opened after the first kill. The app starts with the
 * speculative build's crash point armed (FACTORY_CRASH_AT=speculate), then
 * with every point not reached yet (review, update-branch, merge,
 * complete-epic), and kills itself at whichever it reaches first — in the
 * middle of that step, its work on GitHub partly done and not recorded; it
 * is started again with the points left, and at last with none. Both epics complete
 * with nothing on GitHub twice and no agent run left running, and every kill
 * is followed by a recorded takeover or repair.
 *
 * One run of both epics, rather than an epic per point, keeps the file
 * within minutes on a loaded machine; `npm run bench:recovery` runs one epic
 * per point for clean per-step figures. With FACTORY_E2E_CRASH_TURNS=1, two
 * more epics are killed while a worker's and the supervisor's turn is held back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { crashPoints, type CrashPoint } from '../../src/crashPoint.js';
import { isRecoveryDecision } from '../../src/domain/recovery.js';
import { createEmptyPostgresDatabase } from '../support/database.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import {
  crashAndRecover,
  crashCiCommand,
  crashPointInLog,
  crashRepoFiles,
  logSize,
  progressOnGitHub,
  turnCrashCases,
  type CrashOutcome,
} from './support/crashRun.js';
import { expectCompletedOnce, type RunningEpic } from './support/completedOnce.js';
import { FactoryLoop, loopHeartbeatTimeoutSeconds } from './support/loop.js';
import { printLogTail, tearDownLoop } from './support/logTail.js';
import { epicCompleted, epicRecords } from './support/loopRecords.js';
import { scriptTwoTaskEpic, twoTaskEpicIssue, type TurnHolds } from './support/twoTaskEpic.js';

const stepTimeoutMs = 300_000;
vi.setConfig({ testTimeout: 60_000, hookTimeout: 1_500_000 });

/** One kill: where, when, and how long until the app did something on GitHub again. */
interface Kill {
  point: CrashPoint;
  at: Date;
  /** Undefined when the app reached the next crash point before anything showed on GitHub. */
  recoverySeconds: number | undefined;
}

describe('two epics whose app is killed at every merge-queue step', () => {
  const redisPrefix = testRedisPrefix('e2e-crash-steps');
  let database: { url: string; drop(): Promise<void> } | undefined;
  let loop: FactoryLoop | undefined;
  let records: DatabaseHandle | undefined;
  const running: RunningEpic[] = [];
  const kills: Kill[] = [];
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
      ciCommand: crashCiCommand,
      script: (model) => scriptTwoTaskEpic(model, { planMs: 0, workerMs: 0 }),
      // Five kills of the whole app are not an agent crash loop; the rule is tested on its own.
      env: { CRASH_LOOP_FAILURES: '10' },
    });
    const app = loop;
    const startedAt = Date.now();
    try {
      const speculating = await app.addRepo('textkit-speculating', crashRepoFiles('speculate'));
      const updating = await app.addRepo('textkit-updating', crashRepoFiles('update-branch'));
      // The speculative build comes first, alone: a crash before it (at a review) could let
      // the moment pass. The second epic opens after it, so its review and update come later.
      let remaining: CrashPoint[] = ['speculate'];
      const later = crashPoints.filter((p) => p !== 'speculate');
      let logStart = await logSize(app);
      await app.app.start({ FACTORY_CRASH_AT: remaining.join(',') });
      records = await openDatabase({ databaseUrl: database.url });
      const db = records.db;
      running.push({ repo: speculating, issue: app.openEpic(speculating, twoTaskEpicIssue) });
      const progress = () =>
        running.map(({ repo }) => progressOnGitHub(repo, app.emulator.app.botLogin)).join();
      while (remaining.length > 0) {
        if (!(await app.app.waitForExit(stepTimeoutMs))) {
          throw new Error(`the app reached none of ${remaining.join(', ')} within the deadline`);
        }
        const at = new Date();
        const point = (await crashPointInLog(app, logStart)) as CrashPoint | undefined;
        if (!point) throw new Error('the app died without reaching a crash point');
        const first = kills.length === 0;
        remaining = (first ? later : remaining).filter((p) => p !== point);
        logStart = await logSize(app);
        await app.app.start(remaining.length > 0 ? { FACTORY_CRASH_AT: remaining.join(',') } : {});
        if (first)
          running.push({ repo: updating, issue: app.openEpic(updating, twoTaskEpicIssue) });
        const before = progress();
        const progressedAt = await app.waitFor(
          `progress on GitHub after the crash at ${point}`,
          () => (progress() !== before ? Date.now() : !app.app.running && -1),
          stepTimeoutMs,
        );
        const recoverySeconds = progressedAt > 0 ? (progressedAt - at.getTime()) / 1000 : undefined;
        kills.push({ point, at, recoverySeconds });
        console.log(
          `killed at ${point} ${at.getTime() - startedAt} ms after the start; first progress ${recoverySeconds ?? '(none before the next crash)'} s later`,
        );
      }
      for (const epic of running) {
        await app.waitFor(
          `the epic of ${epic.repo.name} to complete`,
          () => epicCompleted(db, epic.repo, epic.issue),
          stepTimeoutMs,
        );
      }
      console.log(`both epics completed ${Date.now() - startedAt} ms after the start`);
    } catch (error) {
      await printLogTail(app);
      throw error;
    }
  });

  afterEach(({ task }) => {
    if (task.result?.state === 'fail') failed = true;
  });

  afterAll(() => tearDownLoop({ loop, failed, records, redisPrefix, database }));

  it('was killed once at each step kind, and was moving again within twice the heartbeat timeout', () => {
    expect(kills.map((k) => k.point).sort()).toEqual([...crashPoints].sort());
    for (const kill of kills) {
      // The restart itself (the app's start-up on a loaded machine) is part of it.
      if (kill.recoverySeconds !== undefined) {
        expect(kill.recoverySeconds, kill.point).toBeLessThanOrEqual(
          2 * loopHeartbeatTimeoutSeconds + 30,
        );
      }
    }
  });

  it('recorded what it took over or repaired, and why, after every kill', async () => {
    const { db } = started();
    const decisions = (
      await Promise.all(running.map((e) => epicRecords(db, e.issue.number, e.repo.name)))
    ).flatMap((r) => r.decisions);
    const recoveries = decisions.filter((d) => isRecoveryDecision(d.decision));
    // Every killed step is taken over or repaired once the app is back. A step killed just
    // before the next kill may be recovered after it (stall detection takes a while), so
    // what is certain is the count, not which window each recovery falls in.
    const first = kills[0]?.at ?? new Date(0);
    expect(
      recoveries.filter((d) => d.createdAt >= first).length,
      `recoveries after ${kills.length} kills: ${recoveries.map((d) => d.decision).join(', ')}`,
    ).toBeGreaterThanOrEqual(kills.length);
    const last = kills.at(-1)?.at ?? new Date(0);
    expect(
      recoveries.some((d) => d.createdAt >= last),
      'after the last kill',
    ).toBe(true);
    for (const recovery of recoveries) expect(recovery.reasoning, recovery.decision).not.toBe('');
    const names = recoveries.map((d) => d.decision);
    // The merge GitHub did but the queue did not record; complete-epic's job picked up again.
    expect(names).toContain('recovered: merge found done');
    expect(names).toContain('recovered: job resumed');
    expect(decisions.map((d) => d.decision)).not.toContain('park-epic');
  });

  it('completes both epics: each task merged once, nothing on GitHub twice', async () => {
    const { loop, db } = started();
    for (const epic of running) await expectCompletedOnce(loop, db, epic);
  });

  it('leaves no agent run running', async () => {
    const { db } = started();
    const first = running[0];
    if (!first) throw new Error('no epic ran');
    const { runs } = await epicRecords(db, first.issue.number, first.repo.name);
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  });
});

describe.runIf(process.env.FACTORY_E2E_CRASH_TURNS === '1')(
  'epics whose app is killed during an agent turn',
  () => {
    const redisPrefix = testRedisPrefix('e2e-crash-turns');
    const holds: TurnHolds = { planMs: 0, workerMs: 0 };
    let database: { url: string; drop(): Promise<void> } | undefined;
    let loop: FactoryLoop | undefined;
    let records: DatabaseHandle | undefined;
    const outcomes: CrashOutcome[] = [];
    let failed = false;

    beforeAll(async () => {
      database = await createEmptyPostgresDatabase();
      loop = await FactoryLoop.start({
        redisUrl: testRedisUrl,
        redisPrefix,
        databaseUrl: database.url,
        script: (model) => scriptTwoTaskEpic(model, holds),
      });
      const app = loop;
      try {
        await app.app.start();
        records = await openDatabase({ databaseUrl: database.url });
        for (const crash of turnCrashCases) {
          outcomes.push(await crashAndRecover(app, records.db, holds, crash, stepTimeoutMs));
        }
      } catch (error) {
        await printLogTail(app);
        throw error;
      }
    });

    afterEach(({ task }) => {
      if (task.result?.state === 'fail') failed = true;
    });

    afterAll(() => tearDownLoop({ loop, failed, records, redisPrefix, database }));

    it('completes each epic with nothing twice and no run left running', async () => {
      if (!loop || !records) throw new Error('the loop did not start');
      expect(outcomes.map((o) => o.kind)).toEqual(turnCrashCases.map((c) => c.kind));
      for (const outcome of outcomes) {
        await expectCompletedOnce(loop, records.db, { repo: outcome.repo, issue: outcome.epic });
        const { runs, decisions } = await epicRecords(
          records.db,
          outcome.epic.number,
          outcome.repo.name,
        );
        expect(runs.filter((r) => r.status === 'running')).toEqual([]);
        expect(
          decisions.some((d) => isRecoveryDecision(d.decision)),
          outcome.kind,
        ).toBe(true);
      }
    });
  },
);
