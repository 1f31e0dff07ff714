import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermissionCache } from '../../../src/mail/permissionCache.js';

const TestOctokit = ProbotOctokit.defaults({
  retry: { enabled: false },
  throttle: { enabled: false },
});
const repo = { owner: 'acme', repo: 'widgets' };
const permissionPath = (user: string) => `/repos/acme/widgets/collaborators/${user}/permission`;

describe('PermissionCache', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  it('looks a person up once within the TTL, again after it', async () => {
    let now = 1_000;
    const cache = new PermissionCache(60_000, () => now);
    const octokit = new TestOctokit({ auth: 'token test' });
    const scope = nock('https://api.github.com')
      .get(permissionPath('alice'))
      .reply(200, { permission: 'write', role_name: 'maintain' })
      .get(permissionPath('alice'))
      .reply(200, { permission: 'read', role_name: 'read' });

    expect(await cache.roleOf(octokit, repo, 'alice')).toBe('maintain');
    now += 59_000;
    expect(await cache.roleOf(octokit, repo, 'Alice')).toBe('maintain');
    expect(scope.pendingMocks()).toHaveLength(1);
    now += 2_000;
    expect(await cache.roleOf(octokit, repo, 'alice')).toBe('read');
    expect(scope.isDone()).toBe(true);
  });

  it('takes a 404 as no role, and lets other failures through', async () => {
    const cache = new PermissionCache();
    const octokit = new TestOctokit({ auth: 'token test' });
    const scope = nock('https://api.github.com')
      .get(permissionPath('ghost'))
      .reply(404, { message: 'Not Found' })
      .get(permissionPath('bob'))
      .reply(502, { message: 'Bad gateway' });

    expect(await cache.roleOf(octokit, repo, 'ghost')).toBe('none');
    await expect(cache.roleOf(octokit, repo, 'bob')).rejects.toMatchObject({ status: 502 });
    expect(scope.isDone()).toBe(true);
  });
});
