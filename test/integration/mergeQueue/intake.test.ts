import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { epics, tasks } from '../../../src/db/schema.js';
import { createFactoryHarness, type FactoryHarness } from '../../support/factoryHarness.js';
import { assertNockDone, useNock } from '../../support/github.js';
import {
  deliver,
  maintainer,
  testBotLogin,
  testInstallation,
  testRepo,
} from '../../support/webhooks.js';

/** PR, review, check and status webhooks wake the queue of the epic that owns the PR — and only that. */

let harness: FactoryHarness;
let epicId = 0;
const ciBot = { login: 'ci-app[bot]', id: 77, type: 'Bot' };
const selfBot = { login: testBotLogin, id: 78, type: 'Bot' };
const sha = 'c'.repeat(40);
const branch = 'factory/5-6-thing';

beforeAll(async () => {
  useNock();
  harness = await createFactoryHarness();
  const [epic] = await harness.deps.db
    .insert(epics)
    .values({
      installationId: testInstallation.id,
      repoId: testRepo.id,
      repoOwner: 'acme',
      repoName: 'shop',
      issueNumber: 5,
      issueId: 5005,
      title: 'Epic',
      state: 'IN_PROGRESS',
    })
    .returning();
  epicId = epic?.id ?? 0;
  await harness.deps.db.insert(tasks).values({
    epicId,
    issueNumber: 6,
    issueId: 6006,
    title: 'Task',
    state: 'REVIEW',
    branch,
    prNumber: 60,
    headSha: sha,
  });
});
afterAll(() => harness?.close());
afterEach(assertNockDone);

const pullRequest = (number: number) => ({
  number,
  state: 'closed',
  merged: true,
  head: { ref: branch, sha },
  base: { ref: 'main' },
  user: { login: testBotLogin },
});

async function wakeUps() {
  return (await harness.queuedJobs('advance-merge-queue')).map((job) => job.data);
}

const wanted = () => ({
  epicId,
  installationId: testInstallation.id,
  owner: 'acme',
  repo: 'shop',
});

describe('merge queue intake', () => {
  it('wakes the owning epic when a person merges or closes its PR by hand', async () => {
    const id = await deliver(harness.probot, 'pull_request', {
      action: 'closed',
      pull_request: pullRequest(60),
      repository: testRepo,
      installation: testInstallation,
      sender: maintainer,
    });
    const jobs = await harness.queuedJobs('advance-merge-queue');
    expect(jobs).toContainEqual({ id: `advance-merge-queue-d${id}-e${epicId}`, data: wanted() });
  });

  it("routes a reopened PR of a blocked task to its epic's queue, naming the PR to re-enter", async () => {
    await harness.deps.db.insert(tasks).values({
      epicId,
      issueNumber: 8,
      issueId: 8008,
      title: 'Blocked task',
      state: 'BLOCKED',
      blockedReason: 'PR #80 was closed without being merged',
      branch: 'factory/5-8-blocked',
      prNumber: 80,
      headSha: 'f'.repeat(40),
    });
    const reopen = (number: number) =>
      deliver(harness.probot, 'pull_request', {
        action: 'reopened',
        pull_request: { ...pullRequest(number), state: 'open', merged: false },
        repository: testRepo,
        installation: testInstallation,
        sender: maintainer,
      });
    const id = await reopen(80);
    const jobs = await harness.queuedJobs('advance-merge-queue');
    expect(jobs).toContainEqual({
      id: `advance-merge-queue-d${id}-e${epicId}`,
      data: { ...wanted(), reopened: 80 },
    });
    // A PR no task of an active epic owns wakes nothing.
    const before = (await wakeUps()).length;
    await reopen(98);
    expect((await wakeUps()).length).toBe(before);
  });

  it('takes the verdict of a review (the mail part takes its body under its own key)', async () => {
    const before = (await wakeUps()).length;
    await deliver(harness.probot, 'pull_request_review', {
      action: 'submitted',
      review: {
        id: 1,
        body: 'Please rename this',
        state: 'changes_requested',
        user: maintainer,
        commit_id: sha,
      },
      pull_request: { ...pullRequest(60), state: 'open', merged: false },
      repository: testRepo,
      installation: testInstallation,
      sender: maintainer,
    });
    expect((await wakeUps()).length).toBe(before + 1);
  });

  it("accepts a CI App's check run and status, and ignores pending statuses", async () => {
    const before = (await wakeUps()).length;
    await deliver(harness.probot, 'check_run', {
      action: 'completed',
      check_run: {
        id: 9,
        name: 'test',
        head_sha: sha,
        status: 'completed',
        conclusion: 'failure',
        pull_requests: [{ number: 60 }],
        check_suite: { id: 3, head_branch: branch },
      },
      repository: testRepo,
      installation: testInstallation,
      sender: ciBot,
    });
    await deliver(harness.probot, 'status', {
      sha,
      state: 'pending',
      context: 'ci',
      branches: [{ name: branch }],
      repository: testRepo,
      installation: testInstallation,
      sender: ciBot,
    });
    await deliver(harness.probot, 'status', {
      sha,
      state: 'success',
      context: 'ci',
      branches: [{ name: branch }],
      repository: testRepo,
      installation: testInstallation,
      sender: ciBot,
    });
    expect((await wakeUps()).length).toBe(before + 2);
  });

  it("ignores the App's own pushes and PRs that no active epic owns", async () => {
    const before = (await wakeUps()).length;
    await deliver(harness.probot, 'pull_request', {
      action: 'synchronize',
      pull_request: { ...pullRequest(60), state: 'open', merged: false },
      repository: testRepo,
      installation: testInstallation,
      sender: selfBot,
    });
    await deliver(harness.probot, 'pull_request', {
      action: 'closed',
      pull_request: { ...pullRequest(99), head: { ref: 'someone/else', sha: 'd'.repeat(40) } },
      repository: testRepo,
      installation: testInstallation,
      sender: maintainer,
    });
    await deliver(harness.probot, 'check_suite', {
      action: 'completed',
      check_suite: { id: 4, head_sha: 'e'.repeat(40), head_branch: 'main', pull_requests: [] },
      repository: testRepo,
      installation: testInstallation,
      sender: ciBot,
    });
    expect((await wakeUps()).length).toBe(before);
  });
});
