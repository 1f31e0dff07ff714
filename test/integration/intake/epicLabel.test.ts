import { eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findEpicByIssue, transitionEpic } from '../../../src/db/epics.js';
import { webhookDeliveries } from '../../../src/db/schema.js';
import { createFactoryHarness, type FactoryHarness } from '../../support/factoryHarness.js';
import { assertNockDone, githubApi, useNock } from '../../support/github.js';
import { deliver, labelEvent, testRepo, testBotLogin } from '../../support/webhooks.js';

const configUrl = '/repos/acme/shop/contents/.github%2Ffactory.yml';
const orgConfigUrl = '/repos/acme/.github/contents/.github%2Ffactory.yml';

/** The repository has no `.github/factory.yml`, nor has the organisation. */
function noConfigFile() {
  nock(githubApi).get(configUrl).reply(404).get(orgConfigUrl).reply(404);
}
function configFile(yaml: string) {
  nock(githubApi).get(configUrl).reply(200, yaml, { 'content-type': 'text/plain; charset=utf-8' });
}

let harness: FactoryHarness;
beforeAll(async () => {
  useNock();
  harness = await createFactoryHarness();
});
afterAll(async () => {
  await harness?.close();
});
afterEach(assertNockDone);

async function deliveryStatus(id: string) {
  const [row] = await harness.deps.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.deliveryId, id));
  return row;
}

describe('issues.labeled with the epic label', () => {
  it('records the epic in PLANNING and enqueues its acknowledgement and its planning', async () => {
    noConfigFile();
    const id = await deliver(harness.probot, 'issues', labelEvent('labeled', 10, 'factory:epic'));
    const epic = await findEpicByIssue(harness.deps.db, testRepo.id, 10);
    expect(epic).toMatchObject({ state: 'PLANNING', title: 'Issue 10', repoOwner: 'acme' });
    const job = { epicId: epic?.id, installationId: 5151, owner: 'acme', repo: 'shop' };
    expect(await harness.queuedJobs('acknowledge-epic')).toEqual([
      { id: `acknowledge-epic-d${id}`, data: job },
    ]);
    expect(await harness.queuedJobs('plan-epic')).toEqual([{ id: `plan-epic-d${id}`, data: job }]);
    expect(await deliveryStatus(id)).toMatchObject({ status: 'enqueued', event: 'issues' });
  });

  it('changes nothing when the same delivery is redelivered', async () => {
    noConfigFile();
    const event = labelEvent('labeled', 11, 'factory:epic');
    const id = await deliver(harness.probot, 'issues', event);
    const before = await harness.queuedJobs('plan-epic');
    // No GitHub interceptor is set up: a redelivery that made any call would fail here.
    await deliver(harness.probot, 'issues', event, id);
    expect(await harness.queuedJobs('plan-epic')).toEqual(before);
  });

  it('ignores other labels', async () => {
    noConfigFile();
    const id = await deliver(harness.probot, 'issues', labelEvent('labeled', 12, 'bug'));
    expect(await findEpicByIssue(harness.deps.db, testRepo.id, 12)).toBeUndefined();
    expect(await deliveryStatus(id)).toMatchObject({
      status: 'ignored',
      reason: 'not the epic label',
    });
  });

  it('uses the epic label the repository configured', async () => {
    configFile('labels:\n  epic: ai-epic\n');
    await deliver(harness.probot, 'issues', labelEvent('labeled', 13, 'ai-epic'));
    expect((await findEpicByIssue(harness.deps.db, testRepo.id, 13))?.state).toBe('PLANNING');
  });

  it("ignores the app's own events and other bots' without calling GitHub", async () => {
    const self = { login: testBotLogin, id: 99, type: 'Bot' };
    const other = { login: 'renovate[bot]', id: 98, type: 'Bot' };
    const mine = await deliver(
      harness.probot,
      'issues',
      labelEvent('labeled', 14, 'factory:epic', self),
    );
    const theirs = await deliver(
      harness.probot,
      'issues',
      labelEvent('labeled', 14, 'factory:epic', other),
    );
    expect(await findEpicByIssue(harness.deps.db, testRepo.id, 14)).toBeUndefined();
    expect(await deliveryStatus(mine)).toMatchObject({ status: 'ignored' });
    expect(await deliveryStatus(theirs)).toMatchObject({ status: 'ignored' });
  });

  it('parks the epic when the config is invalid: BLOCKED with the problems, acknowledged, not planned', async () => {
    configFile('maxParallelTasks: 0\nmergeMethod: yolo\n');
    const id = await deliver(harness.probot, 'issues', labelEvent('labeled', 15, 'factory:epic'));
    const epic = await findEpicByIssue(harness.deps.db, testRepo.id, 15);
    expect(epic?.state).toBe('BLOCKED');
    expect(epic?.blockedReason).toMatch(
      /^Invalid \.github\/factory\.yml: maxParallelTasks: .*mergeMethod/,
    );
    expect((await harness.queuedJobs('acknowledge-epic')).map((j) => j.id)).toContain(
      `acknowledge-epic-d${id}`,
    );
    expect((await harness.queuedJobs('plan-epic')).map((j) => j.id)).not.toContain(
      `plan-epic-d${id}`,
    );
  });

  it('reports an unreadable config file the same way, never crashing', async () => {
    configFile('labels: [unclosed\n');
    await deliver(harness.probot, 'issues', labelEvent('labeled', 16, 'factory:epic'));
    const epic = await findEpicByIssue(harness.deps.db, testRepo.id, 16);
    expect(epic?.state).toBe('BLOCKED');
    expect(epic?.blockedReason).toMatch(/cannot be read/);
  });

  it('restarts a cancelled epic when the label is added again', async () => {
    noConfigFile();
    await deliver(harness.probot, 'issues', labelEvent('labeled', 17, 'factory:epic'));
    const epic = await findEpicByIssue(harness.deps.db, testRepo.id, 17);
    await transitionEpic(harness.deps.db, epic!.id, 'CANCELLED');
    noConfigFile();
    const id = await deliver(harness.probot, 'issues', labelEvent('labeled', 17, 'factory:epic'));
    expect((await findEpicByIssue(harness.deps.db, testRepo.id, 17))?.state).toBe('PLANNING');
    expect((await harness.queuedJobs('plan-epic')).map((j) => j.id)).toContain(`plan-epic-d${id}`);
  });

  it('does not restart an epic that is already under way', async () => {
    noConfigFile();
    await deliver(harness.probot, 'issues', labelEvent('labeled', 18, 'factory:epic'));
    const epic = await findEpicByIssue(harness.deps.db, testRepo.id, 18);
    await transitionEpic(harness.deps.db, epic!.id, 'IN_PROGRESS');
    noConfigFile();
    const id = await deliver(harness.probot, 'issues', labelEvent('labeled', 18, 'factory:epic'));
    expect(await deliveryStatus(id)).toMatchObject({
      status: 'ignored',
      reason: 'epic #18 is already IN_PROGRESS',
    });
  });
});

describe('issues.unlabeled', () => {
  it('enqueues the cancellation of a known epic, naming who removed the label', async () => {
    noConfigFile();
    await deliver(harness.probot, 'issues', labelEvent('labeled', 20, 'factory:epic'));
    const epic = await findEpicByIssue(harness.deps.db, testRepo.id, 20);
    noConfigFile();
    const id = await deliver(harness.probot, 'issues', labelEvent('unlabeled', 20, 'factory:epic'));
    expect(await harness.queuedJobs('cancel-epic')).toContainEqual({
      id: `cancel-epic-d${id}`,
      data: {
        epicId: epic?.id,
        installationId: 5151,
        owner: 'acme',
        repo: 'shop',
        reason: 'the factory:epic label was removed by @maria',
      },
    });
  });

  it('ignores removal from an issue that is not an epic', async () => {
    noConfigFile();
    const id = await deliver(harness.probot, 'issues', labelEvent('unlabeled', 21, 'factory:epic'));
    expect(await deliveryStatus(id)).toMatchObject({
      status: 'ignored',
      reason: 'issue #21 is not an epic',
    });
  });
});
