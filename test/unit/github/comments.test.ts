import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commentMarker, ensureComment } from '../../../src/github/comments.js';
import { ensureReaction } from '../../../src/github/reactions.js';
import { assertNockDone, githubApi, testOctokit, useNock } from '../../support/github.js';

const issue = { owner: 'acme', repo: 'shop', issueNumber: 7 };
const comment = (id: number, body: string) => ({
  id,
  body,
  html_url: `https://github.com/acme/shop/issues/7#issuecomment-${id}`,
});

beforeAll(useNock);
afterEach(assertNockDone);

describe('ensureComment', () => {
  it('creates the comment with its hidden marker when none exists', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/comments')
      .query({ per_page: 100 })
      .reply(200, [comment(1, 'a person talking')])
      .post('/repos/acme/shop/issues/7/comments', {
        body: '<!-- factory:progress -->\nAll good',
      })
      .reply(201, comment(2, '<!-- factory:progress -->\nAll good'));
    const result = await ensureComment(testOctokit(), {
      ...issue,
      key: 'progress',
      body: 'All good',
    });
    expect(result).toEqual({
      id: 2,
      url: 'https://github.com/acme/shop/issues/7#issuecomment-2',
      outcome: 'created',
    });
  });

  it('finds the marked comment on a later page and edits it when the body changed', async () => {
    const first = Array.from({ length: 100 }, (_, i) => comment(100 + i, `chatter ${i}`));
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/comments')
      .query({ per_page: 100 })
      .reply(200, first, {
        link: `<${githubApi}/repos/acme/shop/issues/7/comments?per_page=100&page=2>; rel="next"`,
      })
      .get('/repos/acme/shop/issues/7/comments')
      .query({ per_page: 100, page: 2 })
      .reply(200, [comment(555, '<!-- factory:progress -->\nold')])
      .patch('/repos/acme/shop/issues/comments/555', { body: '<!-- factory:progress -->\nnew' })
      .reply(200, comment(555, '<!-- factory:progress -->\nnew'));
    const result = await ensureComment(testOctokit(), { ...issue, key: 'progress', body: 'new' });
    expect(result).toMatchObject({ id: 555, outcome: 'updated' });
  });

  it('writes nothing when the comment already says the same', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/comments')
      .query({ per_page: 100 })
      .reply(200, [comment(9, '<!-- factory:config-problems -->\nsame')]);
    const result = await ensureComment(testOctokit(), {
      ...issue,
      key: 'config-problems',
      body: 'same',
    });
    expect(result).toMatchObject({ id: 9, outcome: 'unchanged' });
  });

  it('does not mistake another key for its own', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/comments')
      .query({ per_page: 100 })
      .reply(200, [comment(9, '<!-- factory:progress-old -->\nx')])
      .post('/repos/acme/shop/issues/7/comments')
      .reply(201, comment(10, '<!-- factory:progress -->\ny'));
    const result = await ensureComment(testOctokit(), { ...issue, key: 'progress', body: 'y' });
    expect(result).toMatchObject({ id: 10, outcome: 'created' });
  });

  it('refuses keys that could break out of the HTML comment', () => {
    expect(() => commentMarker('x --> <b>')).toThrow(/Invalid comment key/);
  });
});

describe('ensureReaction', () => {
  const bot = 'factory-app[bot]';

  it('reacts once on the issue', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/reactions')
      .query({ content: 'eyes', per_page: 100 })
      .reply(200, [{ id: 3, content: 'eyes', user: { login: 'someone' } }])
      .post('/repos/acme/shop/issues/7/reactions', { content: 'eyes' })
      .reply(201, { id: 4, content: 'eyes', user: { login: bot } });
    const result = await ensureReaction(testOctokit(), {
      ...issue,
      content: 'eyes',
      botLogin: bot,
    });
    expect(result).toEqual({ id: 4, outcome: 'created' });
  });

  it('adds nothing when the bot already reacted', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/7/reactions')
      .query({ content: 'eyes', per_page: 100 })
      .reply(200, [{ id: 4, content: 'eyes', user: { login: bot } }]);
    const result = await ensureReaction(testOctokit(), {
      ...issue,
      content: 'eyes',
      botLogin: bot,
    });
    expect(result).toEqual({ id: 4, outcome: 'unchanged' });
  });

  it('reacts on an issue comment', async () => {
    nock(githubApi)
      .get('/repos/acme/shop/issues/comments/77/reactions')
      .query({ content: '+1', per_page: 100 })
      .reply(200, [])
      .post('/repos/acme/shop/issues/comments/77/reactions', { content: '+1' })
      .reply(201, { id: 5, content: '+1', user: { login: bot } });
    const result = await ensureReaction(testOctokit(), {
      owner: 'acme',
      repo: 'shop',
      commentId: 77,
      content: '+1',
      botLogin: bot,
    });
    expect(result).toEqual({ id: 5, outcome: 'created' });
  });
});
