import { describe, expect, it } from 'vitest';
import { evaluateChecks, type ChecksInput } from '../../../src/mergeQueue/checks.js';

const input = (partial: Partial<ChecksInput>): ChecksInput => ({
  checkRuns: [],
  statuses: [],
  requiredChecks: 'all',
  noChecksGraceExpired: true,
  ...partial,
});

describe('evaluateChecks', () => {
  it('counts neutral and skipped as passing', () => {
    const verdict = evaluateChecks(
      input({
        checkRuns: [
          { id: 1, name: 'a', status: 'completed', conclusion: 'neutral' },
          { id: 2, name: 'b', status: 'completed', conclusion: 'skipped' },
        ],
      }),
    );
    expect(verdict).toEqual({ state: 'green', passed: ['a', 'b'] });
  });

  it.each(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure'])(
    'counts %s as failed, keeping the output and link for the worker',
    (conclusion) => {
      const verdict = evaluateChecks(
        input({
          checkRuns: [
            {
              id: 1,
              name: 'ci',
              status: 'completed',
              conclusion,
              output: 'boom',
              detailsUrl: 'https://ci/1',
            },
          ],
        }),
      );
      expect(verdict).toEqual({
        state: 'failed',
        failed: [{ name: 'ci', conclusion, output: 'boom', detailsUrl: 'https://ci/1' }],
      });
    },
  );

  it('a stale run waits for its successor', () => {
    const verdict = evaluateChecks(
      input({ checkRuns: [{ id: 1, name: 'ci', status: 'completed', conclusion: 'stale' }] }),
    );
    expect(verdict.state).toBe('pending');
  });

  it('a check run reported under the same name as a status is judged by the check run', () => {
    const verdict = evaluateChecks(
      input({
        checkRuns: [{ id: 1, name: 'ci', status: 'completed', conclusion: 'success' }],
        statuses: [{ context: 'ci', state: 'failure' }],
      }),
    );
    expect(verdict.state).toBe('green');
  });

  it('a failure wins over pending checks: the worker can start at once', () => {
    const verdict = evaluateChecks(
      input({
        checkRuns: [{ id: 1, name: 'slow', status: 'queued', conclusion: null }],
        statuses: [{ context: 'fast', state: 'failure', description: 'lint failed' }],
      }),
    );
    expect(verdict).toMatchObject({
      state: 'failed',
      failed: [{ name: 'fast', output: 'lint failed' }],
    });
  });
});
