import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findEpicByIssue, transitionEpic } from '../../../src/db/epics.js';
import { listTasksOfEpic } from '../../../src/db/tasks.js';
import { createFactoryHarness, type FactoryHarness } from '../../support/factoryHarness.js';
import { assertNockDone, githubApi, useNock } from '../../support/github.js';
import { deliver, labelEvent, subIssueAddedEvent, testRepo } from '../../support/webhooks.js';

let harness: FactoryHarness;
beforeAll(async () => {
  useNock();
  harness = await createFactoryHarness();
});
afterAll(async () => {
  await harness?.close();
});
afterEach(assertNockDone);

async function epicFor(issueNumber: number) {
  nock(githubApi)
    .get('/repos/acme/shop/contents/.github%2Ffactory.yml')
    .reply(404)
    .get('/repos/acme/.github/contents/.github%2Ffactory.yml')
    .reply(404);
  await deliver(harness.probot, 'issues', labelEvent('labeled', issueNumber, 'factory:epic'));
  const epic = await findEpicByIssue(harness.deps.db, testRepo.id, issueNumber);
  if (!epic) throw new Error('epic not recorded');
  return epic;
}

describe('sub_issues.sub_issue_added', () => {
  it('records a PENDING task under a known epic and enqueues its first attempt', async () => {
    const epic = await epicFor(30);
    await deliver(harness.probot, 'sub_issues', subIssueAddedEvent(30, 31));
    const [task] = await listTasksOfEpic(harness.deps.db, epic.id);
    expect(task).toMatchObject({
      state: 'PENDING',
      issueNumber: 31,
      title: 'Task 31',
      description: 'Do the thing',
      attempts: 0,
    });
    expect(await harness.queuedJobs('implement-task')).toContainEqual({
      id: `implement-task-${task?.id}-1`,
      data: { taskId: task?.id, installationId: 5151, owner: 'acme', repo: 'shop', attempt: 1 },
    });
  });

  it('makes one task and one job however often the sub-issue is reported', async () => {
    const epic = await epicFor(40);
    const event = subIssueAddedEvent(40, 41);
    const id = await deliver(harness.probot, 'sub_issues', event);
    await deliver(harness.probot, 'sub_issues', event, id); // redelivery
    await deliver(harness.probot, 'sub_issues', event); // removed and added again: a new delivery
    const tasks = await listTasksOfEpic(harness.deps.db, epic.id);
    expect(tasks).toHaveLength(1);
    const jobs = (await harness.queuedJobs('implement-task')).filter(
      (job) => job.id === `implement-task-${tasks[0]?.id}-1`,
    );
    expect(jobs).toHaveLength(1);
  });

  it('ignores sub-issues of issues that are not epics', async () => {
    const before = await harness.queuedJobs('implement-task');
    await deliver(harness.probot, 'sub_issues', subIssueAddedEvent(50, 51));
    expect(await harness.queuedJobs('implement-task')).toEqual(before);
  });

  it('ignores sub-issues in another repository and under finished epics', async () => {
    const epic = await epicFor(60);
    const elsewhere = { ...testRepo, id: 777, name: 'other', full_name: 'acme/other' };
    await deliver(harness.probot, 'sub_issues', subIssueAddedEvent(60, 61, elsewhere));
    await transitionEpic(harness.deps.db, epic.id, 'CANCELLED');
    await deliver(harness.probot, 'sub_issues', subIssueAddedEvent(60, 62));
    expect(await listTasksOfEpic(harness.deps.db, epic.id)).toEqual([]);
  });
});
