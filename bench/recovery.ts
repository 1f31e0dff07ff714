/**
 * `npm run bench:recovery`: how long the app takes to move again after a
 * crash, at each merge-queue step kind (review, update-branch, speculative
 * build, merge, complete-epic; with BENCH_RECOVERY_TURNS=1 also a worker's
 * and the supervisor's turn). One small epic per kind on one GitHub emulator,
 * scripted model and app: the app kills itself at the step (FACTORY_CRASH_AT),
 * is started again at once without it, and the figure is the seconds from
 * the kill to the next thing it does on GitHub (a review, push, merge,
 * comment, label or issue change) — the restart included. Writes
 * bench/results/recovery.json. Target: max ≤ 2 × HEARTBEAT_TIMEOUT_SECONDS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { openDatabase, type DatabaseHandle } from '../src/db/connection.js';
import {
  crashAndRecover,
  crashCiCommand,
  stepCrashCases,
  turnCrashCases,
  type CrashOutcome,
} from '../test/e2e/support/crashRun.js';
import { printLogTail } from '../test/e2e/support/logTail.js';
import { FactoryLoop, loopHeartbeatTimeoutSeconds } from '../test/e2e/support/loop.js';
import { scriptTwoTaskEpic, type TurnHolds } from '../test/e2e/support/twoTaskEpic.js';
import { createEmptyPostgresDatabase } from '../test/support/database.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../test/support/redis.js';

const caseTimeoutMs = 300_000;
const cases = [
  ...stepCrashCases,
  ...(process.env.BENCH_RECOVERY_TURNS === '1' ? turnCrashCases : []),
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

async function main() {
  const redisPrefix = testRedisPrefix('bench-recovery');
  const database = await createEmptyPostgresDatabase();
  const holds: TurnHolds = { planMs: 0, workerMs: 0 };
  const loadBefore = os.loadavg()[0] ?? 0;
  let loop: FactoryLoop | undefined;
  let records: DatabaseHandle | undefined;
  const outcomes: CrashOutcome[] = [];
  try {
    loop = await FactoryLoop.start({
      redisUrl: testRedisUrl,
      redisPrefix,
      databaseUrl: database.url,
      ciCommand: crashCiCommand,
      script: (model) => scriptTwoTaskEpic(model, holds),
    });
    await loop.app.start();
    records = await openDatabase({ databaseUrl: database.url });
    for (const crash of cases) {
      const outcome = await crashAndRecover(loop, records.db, holds, crash, caseTimeoutMs);
      console.log(
        `${outcome.kind.padEnd(16)} crashed at ${outcome.crashedAt ?? 'a held turn'}: moving again after ${outcome.recoverySeconds.toFixed(1)} s, epic completed after ${outcome.completeSeconds.toFixed(1)} s`,
      );
      outcomes.push(outcome);
    }
  } catch (error) {
    if (loop) await printLogTail(loop);
    throw error;
  } finally {
    await records?.close().catch(() => undefined);
    await loop?.close();
    await deleteRedisPrefix(redisPrefix);
    await database.drop();
  }
  const seconds = outcomes.map((o) => o.recoverySeconds);
  const result = {
    medianRecoverySeconds: round1(median(seconds)),
    maxRecoverySeconds: round1(Math.max(...seconds)),
    HEARTBEAT_TIMEOUT_SECONDS: loopHeartbeatTimeoutSeconds,
    targetMaxSeconds: 2 * loopHeartbeatTimeoutSeconds,
    perKind: Object.fromEntries(
      outcomes.map((o) => [
        o.kind,
        {
          recoverySeconds: round1(o.recoverySeconds),
          epicCompletedSeconds: round1(o.completeSeconds),
          crashedAt: o.crashedAt ?? null,
        },
      ]),
    ),
    loadAverage: { before: round1(loadBefore), after: round1(os.loadavg()[0] ?? 0) },
    cpus: os.cpus().length,
    measuredAt: new Date().toISOString(),
  };
  console.log(JSON.stringify(result, null, 2));
  const met = result.maxRecoverySeconds <= result.targetMaxSeconds;
  console.log(
    `max ${result.maxRecoverySeconds} s ${met ? '≤' : '>'} target ${result.targetMaxSeconds} s (2 × HEARTBEAT_TIMEOUT_SECONDS)`,
  );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/recovery.json', `${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
