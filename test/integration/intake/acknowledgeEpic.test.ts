import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getEpic, transitionEpic, upsertEpicFromIssue } from '../../../src/db/epics.js';
import type { Epic } from '../../../src/db/schema.js';
import { acknowledgeEpic } from '../../../src/intake/acknowledgeEpic.js';
import { configBlockedReason } from '../../../src/intake/configProblems.js';
import { createFactoryHarness, type FactoryHarness } from '../../support/factoryHarness.js';
import { assertNockDone, githubApi, useNock } from '../../support/github.js';
import { deliver, pushEvent, testBotLogin, testRepo } from '../../support/webhooks.js';

const factoryLabelNames = [
  'factory:epic',
  'factory:planning',
  'factory:in-progress',
  'factory:review',
  'factory:blocked',
  'factory:done',
];

let harness: FactoryHarness;
beforeAll(async () => {
  useNock();
  harness = await createFactoryHarness();
});
afterAll(async () => {
  await harness?.close();
});
afterEach(assertNockDone);

async function newEpic(issueNumber: number): Promise<Epic> {
  const { epic } = await upsertEpicFromIssue(harness.deps.db, {
    installationId: 5151,
    repoId: testRepo.id,
    repoOwner: 'acme',
    repoName: 'shop',
    issueNumber,
    issueId: 900_000 + issueNumber,
    title: `Epic ${issueNumber}`,
  });
  return epic;
}

function payload(epic: Epic) {
  return { epicId: epic.id, installationId: 5151, owner: 'acme', repo: 'shop' };
}

/** GitHub as it looks when all factory labels exist and the bot already reacted. */
function settledRepo(issueNumber: number, config: string | null) {
  const scope = nock(githubApi);
  if (config === null) {
    scope
      .get('/repos/acme/shop/contents/.github%2Ffactory.yml')
      .reply(404)
      .get('/repos/acme/.github/contents/.github%2Ffactory.yml')
      .reply(404);
  } else {
    scope
      .get('/repos/acme/shop/contents/.github%2Ffactory.yml')
      .reply(200, config, { 'content-type': 'text/plain; charset=utf-8' });
  }
  scope
    .get('/repos/acme/shop/labels')
    .query({ per_page: 100 })
    .reply(
      200,
      factoryLabelNames.map((name, id) => ({ id, name })),
    )
    .get(`/repos/acme/shop/issues/${issueNumber}/reactions`)
    .query({ content: 'eyes', per_page: 100 })
    .reply(200, [{ id: 1, content: 'eyes', user: { login: testBotLogin } }]);
  return scope;
}

describe('acknowledge-epic', () => {
  it('creates missing labels, reacts and puts the planning label on a new epic', async () => {
    const epic = await newEpic(70);
    const created: string[] = [];
    nock(githubApi)
      .get('/repos/acme/shop/contents/.github%2Ffactory.yml')
      .reply(404)
      .get('/repos/acme/.github/contents/.github%2Ffactory.yml')
      .reply(404)
      .get('/repos/acme/shop/labels')
      .query({ per_page: 100 })
      .reply(200, [{ id: 1, name: 'bug' }])
      .post('/repos/acme/shop/labels', (body: { name: string }) => {
        created.push(body.name);
        return true;
      })
      .times(6)
      .reply(201, {})
      .get('/repos/acme/shop/issues/70/reactions')
      .query({ content: 'eyes', per_page: 100 })
      .reply(200, [])
      .post('/repos/acme/shop/issues/70/reactions', { content: 'eyes' })
      .reply(201, { id: 5, content: 'eyes' })
      .get('/repos/acme/shop/issues/70/labels')
      .query({ per_page: 100 })
      .reply(200, [{ name: 'factory:epic' }])
      .post('/repos/acme/shop/issues/70/labels', { labels: ['factory:planning'] })
      .reply(200, []);
    await acknowledgeEpic(harness.deps, payload(epic), 'ack-1');
    expect(created).toEqual(factoryLabelNames);
    expect((await getEpic(harness.deps.db, epic.id)).state).toBe('PLANNING');
  });

  it('run again, it writes nothing', async () => {
    const epic = await newEpic(71);
    settledRepo(71, null)
      .get('/repos/acme/shop/issues/71/labels')
      .query({ per_page: 100 })
      .reply(200, [{ name: 'factory:epic' }, { name: 'factory:planning' }]);
    await acknowledgeEpic(harness.deps, payload(epic), 'ack-2');
  });

  it('parks the epic on an invalid config and lists the problems in one comment', async () => {
    const epic = await newEpic(72);
    let comment = '';
    settledRepo(72, 'maxParallelTasks: 0\nsurprise: true\n')
      .get('/repos/acme/shop/issues/72/comments')
      .query({ per_page: 100 })
      .reply(200, [])
      .post('/repos/acme/shop/issues/72/comments', (body: { body: string }) => {
        comment = body.body;
        return true;
      })
      .reply(201, { id: 9, html_url: 'https://github.com/acme/shop/issues/72#issuecomment-9' })
      .get('/repos/acme/shop/issues/72/labels')
      .query({ per_page: 100 })
      .reply(200, [{ name: 'factory:epic' }])
      .post('/repos/acme/shop/issues/72/labels', { labels: ['factory:blocked'] })
      .reply(200, []);
    await acknowledgeEpic(harness.deps, payload(epic), 'ack-3');
    const parked = await getEpic(harness.deps.db, epic.id);
    expect(parked.state).toBe('BLOCKED');
    expect(comment).toMatch(/^<!-- factory:config-problems -->\n/);
    expect(comment).toContain('- `maxParallelTasks`: ');
    expect(comment).toContain('surprise');
    expect(await harness.queuedJobs('plan-epic')).toEqual([]);
  });

  it('starts a parked epic once the config is valid, and says so in the same comment', async () => {
    const epic = await newEpic(73);
    await transitionEpic(harness.deps.db, epic.id, 'BLOCKED', {
      reason: configBlockedReason(['maxParallelTasks: too small']),
    });
    settledRepo(73, 'maxParallelTasks: 2\n')
      .get('/repos/acme/shop/issues/73/comments')
      .query({ per_page: 100 })
      .times(2)
      .reply(200, [{ id: 9, body: '<!-- factory:config-problems -->\nold problems' }])
      .patch('/repos/acme/shop/issues/comments/9', (body: { body: string }) =>
        body.body.includes('valid again'),
      )
      .reply(200, { id: 9, html_url: 'u' })
      .get('/repos/acme/shop/issues/73/labels')
      .query({ per_page: 100 })
      .reply(200, [{ name: 'factory:epic' }, { name: 'factory:blocked' }])
      .delete('/repos/acme/shop/issues/73/labels/factory%3Ablocked')
      .reply(200, [])
      .post('/repos/acme/shop/issues/73/labels', { labels: ['factory:planning'] })
      .reply(200, []);
    await acknowledgeEpic(harness.deps, payload(epic), 'ack-4');
    expect((await getEpic(harness.deps.db, epic.id)).state).toBe('PLANNING');
    expect(await harness.queuedJobs('plan-epic')).toEqual([
      { id: `plan-epic-${epic.id}-after-ack-4`, data: payload(epic) },
    ]);
  });
});

describe('a push that changes .github/factory.yml', () => {
  it('re-acknowledges the epics parked for their config, and only those', async () => {
    const parked = await newEpic(80);
    await transitionEpic(harness.deps.db, parked.id, 'BLOCKED', {
      reason: configBlockedReason(['x: y']),
    });
    const blockedOtherwise = await newEpic(81);
    await transitionEpic(harness.deps.db, blockedOtherwise.id, 'BLOCKED', { reason: 'stuck' });
    const elsewhere = await deliver(
      harness.probot,
      'push',
      pushEvent({ modified: ['.github/factory.yml'] }, 'refs/heads/feature'),
    );
    const unrelated = await deliver(harness.probot, 'push', pushEvent({ modified: ['README.md'] }));
    const id = await deliver(
      harness.probot,
      'push',
      pushEvent({ modified: ['.github/factory.yml'] }),
    );
    const ids = (await harness.queuedJobs('acknowledge-epic')).map((job) => job.id);
    // Epic 72 of an earlier test is parked for its config too.
    expect(ids).toContain(`acknowledge-epic-${parked.id}-d${id}`);
    expect(ids).not.toContain(`acknowledge-epic-${blockedOtherwise.id}-d${id}`);
    expect(ids.every((job) => job?.endsWith(`-d${id}`))).toBe(true);
    expect(ids.join()).not.toContain(elsewhere);
    expect(ids.join()).not.toContain(unrelated);
  });
});
