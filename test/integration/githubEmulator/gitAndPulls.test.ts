import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../support/githubEmulator/index.js';
import type { RepoRecord } from '../../support/githubEmulator/records.js';
import { runGit, tokenHeaderArgs } from '../../support/git.js';
import { startWebhookReceiver } from '../../support/webhookReceiver.js';

const sampleRepo = fileURLToPath(new URL('../../fixtures/sample-repo', import.meta.url));

/** The git side: a real remote over smart HTTP, PRs, mergeability, merges done for real, CI, reviews. */
describe('GitHub emulator: git remote, pull requests and merges', { timeout: 180_000 }, () => {
  let emulator: GitHubEmulator;
  let repo: RepoRecord;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let octokit: Octokit;
  let token: string;
  let work: string;
  let clone: string;
  const repoRef = { owner: 'acme', repo: 'textkit' };

  const commitOnBranch = async (branch: string, file: string, content: string) => {
    await runGit(clone, ['checkout', '--quiet', '-B', branch, 'origin/main']);
    await writeFile(path.join(clone, file), content);
    await runGit(clone, ['add', '--all']);
    await runGit(clone, ['commit', '--quiet', '-m', `Change ${file} on ${branch}`]);
    await runGit(clone, [
      ...tokenHeaderArgs(token),
      'push',
      '--quiet',
      'origin',
      `HEAD:refs/heads/${branch}`,
    ]);
  };

  beforeAll(async () => {
    emulator = await startGitHubEmulator();
    receiver = await startWebhookReceiver(emulator.app.webhookSecret);
    emulator.setWebhookUrl(receiver.url);
    repo = await emulator.addRepo('textkit', sampleRepo);
    token = emulator.installationToken();
    octokit = new Octokit({ baseUrl: emulator.url, auth: token });
    work = await mkdtemp(path.join(tmpdir(), 'emulator-git-'));
    clone = path.join(work, 'clone');
    emulator.startCi({ command: 'npm test', name: 'test' });
  });

  afterAll(async () => {
    await emulator.close();
    await receiver.close();
    await rm(work, { recursive: true, force: true });
  });

  it('serves clone and push over HTTP only with a valid token', async () => {
    await expect(
      runGit(work, ['clone', '--quiet', emulator.cloneUrl(repo), path.join(work, 'anonymous')]),
    ).rejects.toThrow();
    await expect(
      runGit(work, [
        ...tokenHeaderArgs('ghs_not-a-token'),
        'clone',
        '--quiet',
        emulator.cloneUrl(repo),
        path.join(work, 'bad'),
      ]),
    ).rejects.toThrow(/could not read Username|Invalid username or token|Authentication failed/);
    await runGit(work, [
      ...tokenHeaderArgs(token),
      'clone',
      '--quiet',
      emulator.cloneUrl(repo),
      clone,
    ]);
    expect(await readFile(path.join(clone, 'src/index.js'), 'utf8')).toContain('slugify');

    await runGit(clone, ['checkout', '--quiet', '-b', 'unauthorised']);
    await writeFile(path.join(clone, 'x.txt'), 'x');
    await runGit(clone, ['add', '--all']);
    await runGit(clone, ['commit', '--quiet', '-m', 'x']);
    await expect(
      runGit(clone, ['push', '--quiet', 'origin', 'HEAD:refs/heads/unauthorised']),
    ).rejects.toThrow();
    const reader = emulator.person(repo, 'reader-rae', 'read');
    await expect(
      runGit(clone, [
        ...tokenHeaderArgs(reader.token),
        'push',
        '--quiet',
        'origin',
        'HEAD:refs/heads/unauthorised',
      ]),
    ).rejects.toThrow(/403|denied/);
    expect((await emulator.state.git(repo).branches()).has('unauthorised')).toBe(false);
  });

  it('announces an authorised push as a push webhook from the bot', async () => {
    await commitOnBranch(
      'factory/1-2-truncate',
      'src/truncate.js',
      'export const truncate = (s, n) => s.slice(0, n);\n',
    );
    await emulator.webhooks.settled();
    const push = receiver
      .of('push')
      .find((r) => r.payload.ref === 'refs/heads/factory/1-2-truncate');
    expect(push?.verified).toBe(true);
    expect(push?.payload).toMatchObject({
      created: true,
      sender: { login: emulator.app.botLogin, type: 'Bot' },
    });
  });

  it('opens a PR, runs CI on its head and reports the check run', async () => {
    const { data: pull } = await octokit.rest.pulls.create({
      ...repoRef,
      title: 'Add truncate',
      head: 'factory/1-2-truncate',
      base: 'main',
      body: 'Closes #99',
    });
    expect(pull.mergeable).toBe(true);
    await expect(
      octokit.rest.pulls.create({
        ...repoRef,
        title: 'Again',
        head: 'factory/1-2-truncate',
        base: 'main',
      }),
    ).rejects.toMatchObject({ status: 422 });
    const ci = emulator.startCi({ command: 'npm test' });
    await ci.idle();
    const { data: checks } = await octokit.rest.checks.listForRef({
      ...repoRef,
      ref: pull.head.sha,
    });
    expect(checks.check_runs).toMatchObject([
      { name: 'test', status: 'completed', conclusion: 'success', app: { slug: 'emulated-ci' } },
    ]);
    await emulator.webhooks.settled();
    expect(receiver.of('pull_request', 'opened')).toHaveLength(1);
    expect(receiver.of('check_run', 'completed').at(-1)?.payload).toMatchObject({
      check_run: { head_sha: pull.head.sha, pull_requests: [{ number: pull.number }] },
    });
    expect(receiver.of('check_suite', 'completed')).toHaveLength(1);
    const { data: files } = await octokit.rest.pulls.listFiles({
      ...repoRef,
      pull_number: pull.number,
    });
    expect(files).toMatchObject([{ filename: 'src/truncate.js', status: 'added', additions: 1 }]);
  });

  it('refuses the App approving its own PR, and takes a person’s approval and the bot’s line comments', async () => {
    const pull = [...repo.issues.values()].find((i) => i.pull)!;
    await expect(
      octokit.rest.pulls.createReview({ ...repoRef, pull_number: pull.number, event: 'APPROVE' }),
    ).rejects.toMatchObject({ status: 422 });
    await octokit.rest.pulls.createReview({
      ...repoRef,
      pull_number: pull.number,
      event: 'COMMENT',
      body: 'One note',
      comments: [{ path: 'src/truncate.js', line: 1, body: 'Name the arguments.' }],
    });
    emulator.person(repo).approve(pull.number);
    const { data: reviews } = await octokit.rest.pulls.listReviews({
      ...repoRef,
      pull_number: pull.number,
    });
    expect(reviews.map((r) => [r.user?.login, r.state])).toEqual([
      [emulator.app.botLogin, 'COMMENTED'],
      ['acme', 'APPROVED'],
    ]);
    await emulator.webhooks.settled();
    expect(
      receiver.of('pull_request_review', 'submitted').map((r) => r.payload.sender?.login),
    ).toEqual([emulator.app.botLogin, 'acme']);
    expect(receiver.of('pull_request_review_comment', 'created')[0]?.payload).toMatchObject({
      comment: { path: 'src/truncate.js', line: 1 },
    });
  });

  it('finds the conflict with git merge-tree once the base moved, and merges for real', async () => {
    const linked = emulator.person(repo).openIssue({ title: 'Task: truncate' });
    await commitOnBranch(
      'factory/1-3-other',
      'src/truncate.js',
      'export const truncate = (s) => s;\n',
    );
    const { data: second } = await octokit.rest.pulls.create({
      ...repoRef,
      title: 'Another truncate',
      head: 'factory/1-3-other',
      base: 'main',
    });
    const first = [...repo.issues.values()].find(
      (i) => i.pull && i.pull.headRef === 'factory/1-2-truncate',
    )!;
    await octokit.rest.issues.update({
      ...repoRef,
      issue_number: first.number,
      body: `Closes #${linked.number}`,
    });

    await expect(
      octokit.rest.pulls.merge({ ...repoRef, pull_number: first.number, sha: second.head.sha }),
    ).rejects.toMatchObject({ status: 409 });
    const { data: merged } = await octokit.rest.pulls.merge({
      ...repoRef,
      pull_number: first.number,
      merge_method: 'squash',
    });
    expect(merged.merged).toBe(true);
    const { data: mainBranch } = await octokit.rest.repos.getBranch({ ...repoRef, branch: 'main' });
    expect(mainBranch.commit.sha).toBe(merged.sha);
    const { data: content } = await octokit.rest.repos.getContent({
      ...repoRef,
      path: 'src/truncate.js',
      ref: 'main',
    });
    expect(Buffer.from((content as { content: string }).content, 'base64').toString()).toContain(
      'slice(0, n)',
    );
    expect(
      (await octokit.rest.issues.get({ ...repoRef, issue_number: linked.number })).data.state,
    ).toBe('closed');

    const { data: conflicted } = await octokit.rest.pulls.get({
      ...repoRef,
      pull_number: second.number,
    });
    expect(conflicted).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    await expect(
      octokit.rest.pulls.merge({ ...repoRef, pull_number: second.number }),
    ).rejects.toMatchObject({ status: 405 });

    await emulator.webhooks.settled();
    const closed = receiver
      .of('pull_request', 'closed')
      .find((r) => r.payload.number === first.number);
    expect(closed?.payload).toMatchObject({
      pull_request: { merged: true, merge_commit_sha: merged.sha },
    });
    expect(
      receiver
        .of('push')
        .some((r) => r.payload.ref === 'refs/heads/main' && r.payload.after === merged.sha),
    ).toBe(true);
  });

  it('merges with each method, and a push to a PR branch is a synchronize with a new CI run', async () => {
    const second = [...repo.issues.values()].find(
      (i) => i.pull && i.pull.headRef === 'factory/1-3-other',
    )!;
    await runGit(clone, [...tokenHeaderArgs(token), 'fetch', '--quiet', 'origin']);
    await runGit(clone, ['checkout', '--quiet', '-B', 'factory/1-3-other', 'origin/main']);
    await writeFile(
      path.join(clone, 'src/truncate.js'),
      'export const truncate = (s, n) => s.slice(0, n) + "…";\n',
    );
    await runGit(clone, ['commit', '--quiet', '-am', 'Resolve: ellipsis']);
    await runGit(clone, [
      ...tokenHeaderArgs(token),
      'push',
      '--quiet',
      '--force',
      'origin',
      'HEAD:refs/heads/factory/1-3-other',
    ]);
    await emulator.webhooks.settled();
    expect(receiver.of('pull_request', 'synchronize').map((r) => r.payload.number)).toEqual([
      second.number,
    ]);
    const { data: updated } = await octokit.rest.pulls.get({
      ...repoRef,
      pull_number: second.number,
    });
    expect(updated).toMatchObject({ mergeable: true, mergeable_state: 'clean' });
    await emulator.startCi({ command: 'npm test' }).idle();
    const { data: checks } = await octokit.rest.checks.listForRef({
      ...repoRef,
      ref: updated.head.sha,
    });
    expect(checks.check_runs.map((r) => r.conclusion)).toEqual(['success']);
    const { data: merged } = await octokit.rest.pulls.merge({
      ...repoRef,
      pull_number: second.number,
      merge_method: 'rebase',
    });
    const log = await runGit(clone, [...tokenHeaderArgs(token), 'fetch', '--quiet', 'origin']).then(
      () => runGit(clone, ['log', '--format=%s', '-2', 'origin/main']),
    );
    expect(log.split('\n')[0]).toBe('Resolve: ellipsis');
    expect(merged.sha).toBe((await runGit(clone, ['rev-parse', 'origin/main'])).trim());

    await commitOnBranch('feature/merge-commit', 'NOTES.md', 'notes\n');
    const { data: third } = await octokit.rest.pulls.create({
      ...repoRef,
      title: 'Notes',
      head: 'feature/merge-commit',
      base: 'main',
    });
    const { data: mergeCommit } = await octokit.rest.pulls.merge({
      ...repoRef,
      pull_number: third.number,
      merge_method: 'merge',
    });
    const parents = (
      await runGit(clone, [...tokenHeaderArgs(token), 'fetch', '--quiet', 'origin']).then(() =>
        runGit(clone, ['log', '-1', '--format=%P', mergeCommit.sha]),
      )
    )
      .trim()
      .split(' ');
    expect(parents).toHaveLength(2);
  });

  it('keeps commit statuses and combines them', async () => {
    const sha = (await runGit(clone, ['rev-parse', 'origin/main'])).trim();
    await octokit.rest.repos.createCommitStatus({
      ...repoRef,
      sha,
      state: 'pending',
      context: 'lint',
    });
    await octokit.rest.repos.createCommitStatus({
      ...repoRef,
      sha,
      state: 'success',
      context: 'lint',
    });
    await octokit.rest.repos.createCommitStatus({
      ...repoRef,
      sha,
      state: 'success',
      context: 'build',
    });
    const { data } = await octokit.rest.repos.getCombinedStatusForRef({ ...repoRef, ref: 'main' });
    expect(data).toMatchObject({ state: 'success', total_count: 2 });
    await emulator.webhooks.settled();
    expect(receiver.of('status')).toHaveLength(3);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  });

  it('merges a PR once when two merges of it arrive together, as GitHub does', async () => {
    await commitOnBranch('factory/1-9-twice', 'src/twice.js', 'export const twice = 2;\n');
    const { data: pull } = await octokit.rest.pulls.create({
      ...repoRef,
      title: 'Twice',
      head: 'factory/1-9-twice',
      base: 'main',
    });
    const merge = () =>
      octokit.rest.pulls
        .merge({ ...repoRef, pull_number: pull.number, sha: pull.head.sha, merge_method: 'squash' })
        .then((r) => ({ status: r.status, sha: r.data.sha }))
        .catch((error: { status?: number }) => ({ status: error.status, sha: undefined }));
    const results = await Promise.all([merge(), merge()]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 405]);
    const landed = results.find((r) => r.status === 200)?.sha;
    const { data: main } = await octokit.rest.repos.getBranch({ ...repoRef, branch: 'main' });
    expect(main.commit.sha).toBe(landed);
    const { data: after } = await octokit.rest.pulls.get({ ...repoRef, pull_number: pull.number });
    expect(after.merge_commit_sha).toBe(landed);
  });
});
