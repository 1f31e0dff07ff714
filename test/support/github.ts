import nock from 'nock';
import { ProbotOctokit } from 'probot';

/** Probot's Octokit without retries or throttling, so nock sees exactly one request per call. */
export const TestOctokit = ProbotOctokit.defaults({
  retry: { enabled: false },
  throttle: { enabled: false },
});

export const githubApi = 'https://api.github.com';

export function testOctokit(): InstanceType<typeof ProbotOctokit> {
  return new TestOctokit({ auth: { token: 'test-installation-token' } });
}

/** No real network; every interceptor a test set up must have been used, and nothing else called. */
export function useNock() {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
}

export function assertNockDone() {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  if (pending.length > 0) throw new Error(`Unmade GitHub calls: ${pending.join(', ')}`);
}
