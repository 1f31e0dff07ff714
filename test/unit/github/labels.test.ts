import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultRepoConfig } from '../../../src/config/repoConfig.js';
import { ensureLabels, factoryLabels, setStateLabel } from '../../../src/github/labels.js';
import { epicStateLabel, taskStateLabel } from '../../../src/github/stateLabels.js';
import { assertNockDone, githubApi, testOctokit, useNock } from '../../support/github.js';

const labels = defaultRepoConfig.labels;
const repo = { owner: 'acme', repo: 'shop' };
const label = (name: string) => ({ id: 1, name, color: 'ededed', description: null });

beforeAll(useNock);
afterEach(assertNockDone);

describe('ensureLabels', () => {
  it('creates only the missing factory labels, with colour and description', async () => {
    const created: unknown[] = [];
    nock(githubApi)
      .get('/repos/acme/shop/labels')
      .query({ per_page: 100 })
      .reply(200, [label('bug'), label('factory:epic'), label('Factory:Planning')])
      .post('/repos/acme/shop/labels', (body) => {
        created.push(body);
        return true;
      })
      .times(4)
      .reply(201, label('x'));
    const names = await ensureLabels(testOctokit(), { ...repo, labels });
    expect(names).toEqual([
      'factory:in-progress',
      'factory:review',
      'factory:blocked',
      'factory:done',
    ]);
    expect(created).toContainEqual({
      name: 'factory:blocked',
      color: 'd93f0b',
      description: 'Factory needs a person to unblock this',
    });
  });

  it('reads every page of labels before deciding', async () => {
    const all = factoryLabels(labels).map((spec) => label(spec.name));
    nock(githubApi)
      .get('/repos/acme/shop/labels')
      .query({ per_page: 100 })
      .reply(200, all.slice(0, 3), {
        link: `<${githubApi}/repos/acme/shop/labels?per_page=100&page=2>; rel="next"`,
      })
      .get('/repos/acme/shop/labels')
      .query({ per_page: 100, page: 2 })
      .reply(200, all.slice(3));
    expect(await ensureLabels(testOctokit(), { ...repo, labels })).toEqual([]);
  });

  it('treats "already exists" from a concurrent creator as done', async () => {
    const all = factoryLabels(labels).map((spec) => label(spec.name));
    nock(githubApi)
      .get('/repos/acme/shop/labels')
      .query({ per_page: 100 })
      .reply(
        200,
        all.filter((l) => l.name !== 'factory:done'),
      )
      .post('/repos/acme/shop/labels')
      .reply(422, { message: 'Validation Failed', errors: [{ code: 'already_exists' }] });
    expect(await ensureLabels(testOctokit(), { ...repo, labels })).toEqual([]);
  });

  it('uses the label names of the repository config', async () => {
    const custom = { ...labels, epic: 'ai-epic' };
    nock(githubApi)
      .get('/repos/acme/shop/labels')
      .query({ per_page: 100 })
      .reply(
        200,
        factoryLabels(labels).map((spec) => label(spec.name)),
      )
      .post('/repos/acme/shop/labels', (body: { name: string }) => body.name === 'ai-epic')
      .reply(201, label('ai-epic'));
    expect(await ensureLabels(testOctokit(), { ...repo, labels: custom })).toEqual(['ai-epic']);
  });
});

describe('setStateLabel', () => {
  const issue = { ...repo, issueNumber: 7, labels };

  it('swaps the old state label for the new one and leaves other labels alone', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/labels')
      .query({ per_page: 100 })
      .reply(200, [label('factory:epic'), label('bug'), label('factory:planning')])
      .delete('/repos/acme/shop/issues/7/labels/factory%3Aplanning')
      .reply(200, [])
      .post('/repos/acme/shop/issues/7/labels', { labels: ['factory:in-progress'] })
      .reply(200, []);
    const result = await setStateLabel(testOctokit(), { ...issue, state: 'inProgress' });
    expect(result).toEqual({ added: ['factory:in-progress'], removed: ['factory:planning'] });
  });

  it('removes several stale state labels so exactly one remains', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/labels')
      .query({ per_page: 100 })
      .reply(200, [label('factory:review'), label('factory:blocked'), label('factory:done')])
      .delete('/repos/acme/shop/issues/7/labels/factory%3Areview')
      .reply(200, [])
      .delete('/repos/acme/shop/issues/7/labels/factory%3Ablocked')
      .reply(404, { message: 'Label does not exist' });
    const result = await setStateLabel(testOctokit(), { ...issue, state: 'done' });
    expect(result).toEqual({ added: [], removed: ['factory:review'] });
  });

  it('makes no write when the issue already shows the state', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/labels')
      .query({ per_page: 100 })
      .reply(200, [label('factory:epic'), label('factory:planning')]);
    const result = await setStateLabel(testOctokit(), { ...issue, state: 'planning' });
    expect(result).toEqual({ added: [], removed: [] });
  });

  it('removes every state label for a state without one', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/labels')
      .query({ per_page: 100 })
      .reply(200, [label('factory:epic'), label('factory:in-progress')])
      .delete('/repos/acme/shop/issues/7/labels/factory%3Ain-progress')
      .reply(200, []);
    const result = await setStateLabel(testOctokit(), { ...issue, state: null });
    expect(result.removed).toEqual(['factory:in-progress']);
  });

  it('propagates other errors', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/labels')
      .query({ per_page: 100 })
      .reply(403, { message: 'Resource not accessible by integration' });
    await expect(setStateLabel(testOctokit(), { ...issue, state: 'done' })).rejects.toThrow(
      /not accessible/,
    );
  });
});

describe('state labels of stored states', () => {
  it('maps every epic and task state to its visible label', () => {
    expect(epicStateLabel('PLANNING')).toBe('planning');
    expect(epicStateLabel('IN_PROGRESS')).toBe('inProgress');
    expect(epicStateLabel('BLOCKED')).toBe('blocked');
    expect(epicStateLabel('COMPLETED')).toBe('done');
    expect(epicStateLabel('CANCELLED')).toBeNull();
    expect(taskStateLabel('PENDING')).toBeNull();
    expect(taskStateLabel('ASSIGNED')).toBe('inProgress');
    expect(taskStateLabel('REVIEW')).toBe('review');
    expect(taskStateLabel('FAILED')).toBe('blocked');
    expect(taskStateLabel('COMPLETED')).toBe('done');
  });
});
