/**
 * Five kills at random moments (issue 14), as an operator would: the app is
 * SIGKILLed five times during one epic and started again each time. Each
 * kill is either after a random delay from the app's start, or at a random
 * merge-queue crash point on its n-th arrival (with a random delay as the
 * fallback when the point does not come). The moments come from a seeded
 * generator: FACTORY_CRASH_SEED repeats a run, and the seed is printed first
 * and again on failure. The epic completes, nothing on GitHub is there twice,
 * no agent run is left running.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { crashPoints } from '../../src/crashPoint.js';
import { isRecoveryDecision } from '../../src/domain/recovery.js';
import { createEmptyPostgresDatabase } from '../support/database.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { expectCompletedOnce, type RunningEpic } from './support/completedOnce.js';
import { crashPointInLog, crashRepoFiles, logSize } from './support/crashRun.js';
import { FactoryLoop } from './support/loop.js';
import { printLogTail, tearDownLoop } from './support/logTail.js';
import { epicCompleted, epicRecords } from './support/loopRecords.js';
import { scriptTwoTaskEpic, twoTaskEpicIssue } from './support/twoTaskEpic.js';

const seed = Number(process.env.FACTORY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const killCount = 5;
const epicTimeoutMs = 480_000;
vi.setConfig({ testTimeout: 60_000, hookTimeout: 1_200_000 });

/** mulberry32: a small seeded generator, the same numbers for the same seed everywhere. */
function seededRandom(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface PlannedKill {
  /** FACTORY_CRASH_AT for this run of the app, or none for a kill after `afterMs` only. */
  crashAt: string | undefined;
  /**
   * The kill after this long from the start, if the crash point has not come
   * by then (a two-task epic may never reach it, e.g. no speculative build).
   */
  afterMs: number;
}

function planKills(random: () => number): PlannedKill[] {
  return Array.from({ length: killCount }, () => {
    const atPoint = random() < 0.5;
    const point = crashPoints[Math.floor(random() * crashPoints.length)];
    const nth = 1 + Math.floor(random() * 2);
    // The uninterrupted epic takes about 40 s: kills within its first 25 s interrupt it.
    const afterMs = Math.round(3_000 + random() * 22_000);
    return { crashAt: atPoint ? `${point}#${nth}` : undefined, afterMs };
  });
}

describe(`an epic whose app is killed ${killCount} times at random (FACTORY_CRASH_SEED=${seed})`, () => {
  const redisPrefix = testRedisPrefix('e2e-crash-seeded');
  const planned = planKills(seededRandom(seed));
  /** `point`: the crash point the app died at, when it did; otherwise it was killed after a delay. */
  const kills: { planned: PlannedKill; at: Date; how: string; point?: string }[] = [];
  let database: { url: string; drop(): Promise<void> } | undefined;
  let loop: FactoryLoop | undefined;
  let records: DatabaseHandle | undefined;
  let epic: RunningEpic | undefined;
  let failed = false;

  beforeAll(async () => {
    console.log(`FACTORY_CRASH_SEED=${seed}: ${JSON.stringify(planned)}`);
    database = await createEmptyPostgresDatabase();
    loop = await FactoryLoop.start({
      redisUrl: testRedisUrl,
      redisPrefix,
      databaseUrl: database.url,
      script: (model) => scriptTwoTaskEpic(model, { planMs: 0, workerMs: 0 }),
      // Five kills of the whole app are not an agent crash loop; the rule is tested on its own.
      env: { CRASH_LOOP_FAILURES: '10' },
    });
    const app = loop;
    try {
      const repo = await app.addRepo('textkit-seeded', crashRepoFiles('merge'));
      for (const kill of planned) {
        const logStart = await logSize(app);
        await app.app.start(kill.crashAt ? { FACTORY_CRASH_AT: kill.crashAt } : {});
        if (!records) records = await openDatabase({ databaseUrl: database.url });
        if (!epic) epic = { repo, issue: app.openEpic(repo, twoTaskEpicIssue) };
        const died = await app.app.waitForExit(kill.afterMs);
        if (!died) await app.app.kill();
        const point = died ? await crashPointInLog(app, logStart) : undefined;
        kills.push({
          planned: kill,
          at: new Date(),
          how: point ?? `after ${kill.afterMs} ms`,
          ...(point ? { point } : {}),
        });
        console.log(`kill ${kills.length}: ${kills.at(-1)?.how}`);
        if (await epicCompleted(records.db, repo, epic.issue)) break;
      }
      await app.app.start();
      const { db } = records ?? { db: undefined };
      const running = epic;
      if (!db || !running) throw new Error('the epic did not start');
      await app.waitFor(
        'the epic to complete',
        () => epicCompleted(db, running.repo, running.issue),
        epicTimeoutMs,
      );
    } catch (error) {
      console.error(`FACTORY_CRASH_SEED=${seed} repeats this run`);
      await printLogTail(app);
      throw error;
    }
  });

  afterEach(({ task }) => {
    if (task.result?.state === 'fail') {
      failed = true;
      console.error(
        `FACTORY_CRASH_SEED=${seed} repeats this run (kills: ${JSON.stringify(kills)})`,
      );
    }
  });

  afterAll(() => tearDownLoop({ loop, failed, records, redisPrefix, database }));

  it('was killed five times, unless the epic completed first', async () => {
    if (!loop || !records || !epic) throw new Error('the loop did not start');
    const completedEarly = kills.length < killCount;
    expect(kills.length === killCount || completedEarly).toBe(true);
    const { decisions } = await epicRecords(records.db, epic.issue.number, epic.repo.name);
    expect(decisions.map((d) => d.decision)).not.toContain('park-epic');
    // A kill at a crash point is always in the middle of a merge-queue step,
    // so something was taken over or repaired, and said so with a reason. A
    // kill after a delay may fall between two jobs, with nothing to recover.
    const recoveries = decisions.filter((d) => isRecoveryDecision(d.decision));
    if (kills.some((kill) => kill.point)) expect(recoveries).not.toEqual([]);
    for (const recovery of recoveries) expect(recovery.reasoning, recovery.decision).not.toBe('');
  });

  it('completes the epic with nothing on GitHub twice', async () => {
    if (!loop || !records || !epic) throw new Error('the loop did not start');
    await expectCompletedOnce(loop, records.db, epic);
  });

  it('leaves no agent run running', async () => {
    if (!records || !epic) throw new Error('the loop did not start');
    const { runs } = await epicRecords(records.db, epic.issue.number, epic.repo.name);
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  });
});
