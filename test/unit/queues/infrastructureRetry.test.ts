import { DelayedError } from 'bullmq';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  infrastructureDelayMs,
  retryingInfrastructure,
} from '../../../src/queues/infrastructureRetry.js';
import {
  retryInfrastructure,
  writeIfYouCan,
} from '../../../src/agents/runtime/infrastructureRetry.js';

const log = pino({ level: 'silent' });
const dbDown = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function fakeJob(attemptsStarted: number, attemptsMade: number) {
  const moves: number[] = [];
  return {
    moves,
    job: {
      id: 'implement-task-1-1',
      name: 'implement-task',
      attemptsStarted,
      attemptsMade,
      moveToDelayed: async (timestamp: number) => void moves.push(timestamp),
    },
  };
}

describe('retryingInfrastructure (agent jobs)', () => {
  it('puts the job back to delayed without using a try when the database is away', async () => {
    const { job, moves } = fakeJob(1, 0);
    const before = Date.now();
    const error = await retryingInfrastructure(job, 'token', log, async () => {
      throw new Error('Failed query', { cause: dbDown() });
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelayedError);
    expect(moves).toHaveLength(1);
    expect(moves[0]).toBeGreaterThanOrEqual(before + 2_000);
  });

  it('throws any other error as it is, so the job uses a try as before', async () => {
    const { job, moves } = fakeJob(1, 0);
    await expect(
      retryingInfrastructure(job, 'token', log, async () => {
        throw new Error('git push rejected');
      }),
    ).rejects.toThrow('git push rejected');
    expect(moves).toEqual([]);
  });

  it('backs off longer each time, up to a minute', () => {
    expect([0, 1, 2, 3, 10, 50].map(infrastructureDelayMs)).toEqual([
      2_000, 4_000, 8_000, 16_000, 60_000, 60_000,
    ]);
  });
});

describe('writes inside a run', () => {
  it('a heartbeat that fails does not fail the run', async () => {
    expect(
      await writeIfYouCan(log, 'write a heartbeat', async () => {
        throw dbDown();
      }),
    ).toBe(false);
    expect(await writeIfYouCan(log, 'write a heartbeat', async () => undefined)).toBe(true);
  });

  it('a closing write is retried while the database is away, then succeeds', async () => {
    let calls = 0;
    const result = await retryInfrastructure(
      'record the end of the run',
      async () => {
        calls += 1;
        if (calls < 3) throw dbDown();
        return 'written';
      },
      { log, baseDelayMs: 1 },
    );
    expect({ result, calls }).toEqual({ result: 'written', calls: 3 });
  });

  it('a closing write is not retried for an error of the work itself, and gives up after its tries', async () => {
    let calls = 0;
    await expect(
      retryInfrastructure(
        'move the agent',
        async () => {
          calls += 1;
          throw new Error('Agent 3 is IDLE, expected BUSY');
        },
        { log, baseDelayMs: 1 },
      ),
    ).rejects.toThrow('expected BUSY');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retryInfrastructure(
        'move the agent',
        async () => {
          calls += 1;
          throw dbDown();
        },
        { log, tries: 3, baseDelayMs: 1 },
      ),
    ).rejects.toThrow('ECONNREFUSED');
    expect(calls).toBe(3);
  });
});
