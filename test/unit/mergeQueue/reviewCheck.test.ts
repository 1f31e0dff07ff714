import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureReviewCheck, reviewCheckName } from '../../../src/mergeQueue/review/reviewCheck.js';
import { assertNockDone, githubApi, testOctokit, useNock } from '../../support/github.js';

const sha = 'a'.repeat(40);
const input = {
  target: { installationId: 1, owner: 'acme', repo: 'shop' },
  headSha: sha,
  prNumber: 7,
  verdict: 'APPROVE' as const,
  summary: 'Meets the criteria.',
  requested: [],
};
const listPath = `/repos/acme/shop/commits/${sha}/check-runs`;

afterEach(assertNockDone);

describe('the Factory review check', () => {
  it('is created on the head when there is none, and kept when it already says the same', async () => {
    useNock();
    nock(githubApi)
      .get(listPath)
      .query({ check_name: reviewCheckName, per_page: 100 })
      .reply(200, { total_count: 0, check_runs: [] })
      .post('/repos/acme/shop/check-runs', (body: Record<string, unknown>) => {
        expect(body).toMatchObject({ name: reviewCheckName, head_sha: sha, conclusion: 'success' });
        return true;
      })
      .reply(201, { id: 11 })
      .get(listPath)
      .query(true)
      .reply(200, {
        total_count: 1,
        check_runs: [{ id: 11, head_sha: sha, status: 'completed', conclusion: 'success' }],
      });
    expect(await ensureReviewCheck(testOctokit(), input)).toEqual({
      checkRunId: 11,
      changed: true,
    });
    expect(await ensureReviewCheck(testOctokit(), input)).toEqual({
      checkRunId: 11,
      changed: false,
    });
  });

  it('is skipped, not failed, where the installation has not granted checks: write', async () => {
    useNock();
    nock(githubApi)
      .get(listPath)
      .query(true)
      .reply(403, { message: 'Resource not accessible by integration' });
    expect(await ensureReviewCheck(testOctokit(), input)).toEqual({
      skipped: 'checks: write not granted to this installation',
    });
  });

  it('fails on any other error, so the step is retried', async () => {
    useNock();
    nock(githubApi).get(listPath).query(true).reply(422, { message: 'No commit found' });
    await expect(ensureReviewCheck(testOctokit(), input)).rejects.toMatchObject({ status: 422 });
  });
});
