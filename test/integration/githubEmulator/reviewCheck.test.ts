import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Octokit } from '@octokit/rest';
import type { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewCheckName } from '../../../src/mergeQueue/review/reviewCheck.js';
import { submitReview } from '../../../src/mergeQueue/review/submitReview.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../support/githubEmulator/index.js';
import type { RepoRecord } from '../../support/githubEmulator/records.js';
import { runGit, tokenHeaderArgs } from '../../support/git.js';

const sampleRepo = fileURLToPath(new URL('../../fixtures/sample-repo', import.meta.url));

/**
 * The supervisor's verdict where branch protection can see it: GitHub (and
 * the emulator) refuse an App's approval of its own PR, so the verdict is also
 * the `Factory review` check run, which a protected branch can require.
 */
describe('the Factory review check under branch protection', { timeout: 120_000 }, () => {
  let emulator: GitHubEmulator;
  let repo: RepoRecord;
  let octokit: Octokit;
  let work: string;
  const target = { installationId: 1, owner: 'acme', repo: 'textkit' };
  let pull: { number: number; head: { sha: string } };

  beforeAll(async () => {
    emulator = await startGitHubEmulator();
    repo = await emulator.addRepo('textkit', sampleRepo);
    target.owner = repo.owner.login;
    const token = emulator.installationToken();
    octokit = new Octokit({ baseUrl: emulator.url, auth: token });
    work = await mkdtemp(path.join(tmpdir(), 'emulator-review-check-'));
    const clone = path.join(work, 'clone');
    await runGit(work, [
      ...tokenHeaderArgs(token),
      'clone',
      '--quiet',
      emulator.cloneUrl(repo),
      clone,
    ]);
    await runGit(clone, ['checkout', '--quiet', '-b', 'factory/1-2-shout']);
    await writeFile(path.join(clone, 'shout.txt'), 'HELLO\n');
    await runGit(clone, ['add', '--all']);
    await runGit(clone, [
      '-c',
      'user.name=F',
      '-c',
      'user.email=f@e',
      'commit',
      '--quiet',
      '-m',
      'Shout',
    ]);
    await runGit(clone, [
      ...tokenHeaderArgs(token),
      'push',
      '--quiet',
      'origin',
      'HEAD:refs/heads/factory/1-2-shout',
    ]);
    const { data } = await octokit.rest.pulls.create({
      owner: target.owner,
      repo: target.repo,
      title: 'Shout',
      head: 'factory/1-2-shout',
      base: 'main',
    });
    pull = data;
    emulator.protectBranch(repo, 'main', { requiredChecks: [reviewCheckName] });
  });

  afterAll(async () => {
    await emulator?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const merge = () =>
    octokit.rest.pulls.merge({ owner: target.owner, repo: target.repo, pull_number: pull.number });
  const review = (verdict: 'APPROVE' | 'REQUEST_CHANGES') =>
    submitReview(octokit as unknown as ProbotOctokit, {
      target,
      prNumber: pull.number,
      botLogin: emulator.app.botLogin,
      headSha: pull.head.sha,
      diff: '',
      verdict: {
        verdict,
        summary: verdict === 'APPROVE' ? 'Meets the criteria.' : 'Shouting is not allowed.',
        comments:
          verdict === 'APPROVE' ? [] : [{ path: 'shout.txt', line: 1, body: 'lower case, please' }],
      },
    });
  const reviewChecks = async () =>
    (
      await octokit.rest.checks.listForRef({
        owner: target.owner,
        repo: target.repo,
        ref: pull.head.sha,
        check_name: reviewCheckName,
      })
    ).data.check_runs;

  it('refuses the App’s approval of its own PR, as GitHub does', async () => {
    await expect(
      octokit.rest.pulls.createReview({
        owner: target.owner,
        repo: target.repo,
        pull_number: pull.number,
        event: 'APPROVE',
      }),
    ).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/own pull request/) });
  });

  it('merges nothing before the check exists, nor on changes requested', async () => {
    await expect(merge()).rejects.toMatchObject({
      status: 405,
      message: expect.stringContaining(`Required status check "${reviewCheckName}"`),
    });
    const submitted = await review('REQUEST_CHANGES');
    expect(submitted.event).toBe('COMMENT');
    const [check] = await reviewChecks();
    expect(check).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(check?.output.text).toContain('shout.txt:1');
    await expect(merge()).rejects.toMatchObject({ status: 405 });
  });

  it('merges once the verdict is an approval, the same check run turned green', async () => {
    await review('APPROVE');
    const checks = await reviewChecks();
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({
      conclusion: 'success',
      output: { title: 'Approved by the supervisor', summary: 'Meets the criteria.' },
    });
    // Submitting the same verdict again (a retried job) changes nothing.
    await review('APPROVE');
    expect(await reviewChecks()).toHaveLength(1);
    const { data } = await merge();
    expect(data.merged).toBe(true);
  });

  it('shows the PR on a web page of its own, as the status page links to it', async () => {
    const page = await fetch(`${emulator.url}/${target.owner}/${target.repo}/pull/${pull.number}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<h1>Shout</h1>');
    expect(html).toContain(`${reviewCheckName}: success`);
    expect(html).toContain('Changes requested by the supervisor');
    // The app's hidden markers stay hidden, as on GitHub.
    expect(html).not.toContain('factory:review');
  });
});
