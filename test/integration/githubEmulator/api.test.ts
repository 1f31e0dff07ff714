import { fileURLToPath } from 'node:url';
import { Octokit } from '@octokit/rest';
import { Probot, type ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../support/githubEmulator/index.js';
import type { RepoRecord } from '../../support/githubEmulator/records.js';
import { TestProbotOctokit } from '../../support/probotOctokit.js';
import { startWebhookReceiver } from '../../support/webhookReceiver.js';

const sampleRepo = fileURLToPath(new URL('../../fixtures/sample-repo', import.meta.url));

/** Probot and Octokit against the emulator, as the app will use it: through `baseUrl` only. */
describe('GitHub emulator: the REST API through Probot', () => {
  let emulator: GitHubEmulator;
  let repo: RepoRecord;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let probot: Probot;
  let octokit: ProbotOctokit;
  const repoRef = { owner: 'acme', repo: 'textkit' };

  beforeAll(async () => {
    emulator = await startGitHubEmulator();
    receiver = await startWebhookReceiver(emulator.app.webhookSecret);
    emulator.setWebhookUrl(receiver.url);
    repo = await emulator.addRepo('textkit', sampleRepo);
    probot = new Probot({
      appId: emulator.app.id,
      privateKey: emulator.app.privateKey,
      secret: emulator.app.webhookSecret,
      baseUrl: emulator.url,
      Octokit: TestProbotOctokit,
      logLevel: 'warn',
    });
    octokit = await probot.auth(emulator.app.installationId);
  });

  afterAll(async () => {
    await emulator.close();
    await receiver.close();
  });

  it('answers the App JWT with the App and issues installation tokens', async () => {
    const appOctokit = await probot.auth();
    const { data: app } = await appOctokit.rest.apps.getAuthenticated();
    expect(app?.slug).toBe(emulator.app.slug);
    const { data: installation } = await appOctokit.rest.apps.getRepoInstallation(repoRef);
    expect(installation.id).toBe(emulator.app.installationId);
    const { data: fetched } = await octokit.rest.repos.get(repoRef);
    expect(fetched.default_branch).toBe('main');
    expect(fetched.clone_url).toBe(`${emulator.url}/acme/textkit.git`);
  });

  it('refuses a JWT signed with another key, a missing token and an expired token', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    });
    const impostor = new Probot({
      appId: emulator.app.id,
      privateKey: String(other),
      baseUrl: emulator.url,
      Octokit: TestProbotOctokit,
      logLevel: 'fatal',
    });
    await expect(
      impostor.auth(emulator.app.installationId).then((o) => o.rest.repos.get(repoRef)),
    ).rejects.toMatchObject({ status: 401 });
    const anonymous = new Octokit({ baseUrl: emulator.url });
    await expect(anonymous.rest.repos.get(repoRef)).rejects.toMatchObject({ status: 401 });

    const shortLived = new Octokit({
      baseUrl: emulator.url,
      auth: emulator.installationToken(300),
    });
    await expect(shortLived.rest.repos.get(repoRef)).resolves.toMatchObject({ status: 200 });
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(shortLived.rest.repos.get(repoRef)).rejects.toMatchObject({ status: 401 });
  });

  it("reads .github/factory.yml through Probot's config plugin", async () => {
    const { config } = await octokit.config.get({ ...repoRef, path: '.github/factory.yml' });
    expect(config).toMatchObject({ test: 'npm test', mergeMethod: 'squash' });
    const missing = await octokit.config.get({ ...repoRef, path: '.github/absent.yml' });
    expect(missing.config).toEqual({});
    const { data: file } = await octokit.rest.repos.getContent({
      ...repoRef,
      path: 'src/index.js',
    });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toContain(
      'slugify',
    );
  });

  it('keeps issues, labels, comments, reactions and sub-issues, and sends a signed webhook for each change', async () => {
    const { data: epic } = await octokit.rest.issues.create({
      ...repoRef,
      title: 'Epic',
      body: 'Do things',
      labels: ['factory:epic'],
    });
    const { data: task } = await octokit.rest.issues.create({ ...repoRef, title: 'Task 1' });
    expect(task.id).not.toBe(task.number);
    await expect(
      octokit.rest.issues.addSubIssue({
        ...repoRef,
        issue_number: epic.number,
        sub_issue_id: task.number,
      }),
    ).rejects.toMatchObject({ status: 404 });
    await octokit.rest.issues.addSubIssue({
      ...repoRef,
      issue_number: epic.number,
      sub_issue_id: task.id,
    });
    const { data: subs } = await octokit.rest.issues.listSubIssues({
      ...repoRef,
      issue_number: epic.number,
    });
    expect(subs.map((s) => s.number)).toEqual([task.number]);

    await octokit.rest.issues.addLabels({
      ...repoRef,
      issue_number: epic.number,
      labels: ['factory:planning'],
    });
    await octokit.rest.issues.removeLabel({
      ...repoRef,
      issue_number: epic.number,
      name: 'factory:epic',
    });
    const { data: labels } = await octokit.rest.issues.listLabelsOnIssue({
      ...repoRef,
      issue_number: epic.number,
    });
    expect(labels.map((l) => l.name)).toEqual(['factory:planning']);

    const { data: comment } = await octokit.rest.issues.createComment({
      ...repoRef,
      issue_number: epic.number,
      body: 'Planning…',
    });
    await octokit.rest.issues.updateComment({
      ...repoRef,
      comment_id: comment.id,
      body: 'Planned.',
    });
    await octokit.rest.reactions.createForIssueComment({
      ...repoRef,
      comment_id: comment.id,
      content: 'eyes',
    });
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
      ...repoRef,
      issue_number: epic.number,
      per_page: 1,
    });
    expect(comments.map((c) => c.body)).toEqual(['Planned.']);
    await octokit.rest.issues.update({ ...repoRef, issue_number: task.number, state: 'closed' });

    await emulator.webhooks.settled();
    const bot = emulator.app.botLogin;
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(receiver.received.length);
    expect(receiver.of('issues', 'opened')).toHaveLength(2);
    expect(
      receiver.of('issues', 'labeled').map((r) => (r.payload.label as { name: string }).name),
    ).toEqual(['factory:epic', 'factory:planning']);
    expect(receiver.of('issues', 'unlabeled')).toHaveLength(1);
    expect(receiver.of('issue_comment', 'created')).toHaveLength(1);
    expect(receiver.of('issue_comment', 'edited')[0]?.payload.changes).toEqual({
      body: { from: 'Planning…' },
    });
    expect(receiver.of('issues', 'closed')).toHaveLength(1);
    const added = receiver.of('sub_issues', 'sub_issue_added')[0]?.payload;
    expect(added).toMatchObject({
      sub_issue_id: task.id,
      parent_issue_id: epic.id,
      parent_issue: { number: epic.number },
    });
    for (const delivery of receiver.received) {
      expect(delivery.payload.sender).toMatchObject({ login: bot, type: 'Bot' });
      expect(delivery.payload.installation?.id).toBe(emulator.app.installationId);
      expect(delivery.payload.repository?.full_name).toBe('acme/textkit');
    }
  });

  it('answers collaborator permission for people', async () => {
    emulator.person(repo, 'maintainer-mo', 'maintain');
    emulator.state.user('outsider-oz');
    const perm = (username: string) =>
      octokit.rest.repos.getCollaboratorPermissionLevel({ ...repoRef, username });
    expect((await perm('acme')).data.permission).toBe('admin');
    expect((await perm('maintainer-mo')).data).toMatchObject({
      permission: 'write',
      role_name: 'maintain',
    });
    expect((await perm('outsider-oz')).data.permission).toBe('read');
    await expect(perm('nobody-at-all')).rejects.toMatchObject({ status: 404 });
  });

  it('lets a person act through their own token, with themselves as the sender', async () => {
    const maintainer = emulator.person(repo, 'maintainer-mo', 'maintain');
    const asPerson = new Octokit({ baseUrl: emulator.url, auth: maintainer.token });
    const { data: issue } = await asPerson.rest.issues.create({
      ...repoRef,
      title: 'From a person',
    });
    maintainer.comment(issue.number, '@factory-emulated[bot] hello');
    await emulator.webhooks.settled();
    const opened = receiver
      .of('issues', 'opened')
      .find((r) => (r.payload.issue as { number: number }).number === issue.number);
    expect(opened?.payload.sender).toMatchObject({ login: 'maintainer-mo', type: 'User' });
    const said = receiver.of('issue_comment', 'created').at(-1);
    expect(said?.payload.sender?.login).toBe('maintainer-mo');
  });

  it('records requests no route knows, so gaps show up', async () => {
    await expect(
      octokit.request('GET /repos/{owner}/{repo}/projects', repoRef),
    ).rejects.toMatchObject({ status: 404 });
    expect(emulator.unhandled).toContain('GET /repos/acme/textkit/projects');
  });
});
