import { describe, expect, it } from 'vitest';
import {
  infrastructureReason,
  isInfrastructureError,
} from '../../../src/domain/infrastructureError.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isInfrastructureError', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset socket', withCode('read ECONNRESET', 'ECONNRESET')],
    [
      'a PostgreSQL shut down by an administrator',
      withCode('terminating connection due to administrator command', '57P01'),
    ],
    ['a PostgreSQL starting up', withCode('the database system is starting up', '57P03')],
    ['a connection failure (class 08)', withCode('connection failure', '08006')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ['pg losing the connection', new Error('Connection terminated unexpectedly')],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect')],
    ['ioredis with the connection closed', new Error('Connection is closed.')],
    [
      'ioredis out of retries',
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
        name: 'MaxRetriesPerRequestError',
      }),
    ],
    [
      'Factory queue unavailable',
      Object.assign(new Error('Redis at 127.0.0.1:6379 is not reachable'), {
        name: 'QueueUnavailableError',
      }),
    ],
  ])('is true for %s', (_, error) => {
    expect(isInfrastructureError(error)).toBe(true);
  });

  it('follows causes (Drizzle wraps the driver error) and aggregate errors (Probot gathers handler errors)', () => {
    const driver = withCode('connect ECONNREFUSED 127.0.0.1:5433', 'ECONNREFUSED');
    const drizzle = new Error('Failed query: update "agents" set ...', { cause: driver });
    expect(isInfrastructureError(new Error('Taking in push failed', { cause: drizzle }))).toBe(
      true,
    );
    expect(isInfrastructureError(new AggregateError([new Error('x'), drizzle]))).toBe(true);
    expect(infrastructureReason(drizzle)).toBe(
      'Error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5433',
    );
  });

  it.each([
    ['a constraint violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a syntax error in SQL', withCode('syntax error at or near "selec"', '42601')],
    ['a state guard refusing a move', new Error('Task 4 is REVIEW, expected IN_PROGRESS')],
    ['a GitHub 502', Object.assign(new Error('Bad Gateway'), { status: 502 })],
    ['a git failure', new Error('git push failed: rejected')],
    ['a non-error value', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('is false for %s', (_, error) => {
    expect(isInfrastructureError(error)).toBe(false);
  });

  it('does not loop on a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isInfrastructureError(a)).toBe(false);
  });
});
