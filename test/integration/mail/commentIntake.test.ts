import { eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mail, webhookDeliveries } from '../../../src/db/schema.js';
import { jobIds } from '../../../src/queues/jobs.js';
import {
  issueCommentEvent,
  nextCommentId,
  receive,
  reviewCommentEvent,
  reviewEvent,
  seedEpic,
  seedTask,
  startMailHarness,
  type MailHarness,
} from './harness.js';

describe('comment intake', () => {
  let h: MailHarness;
  beforeAll(async () => {
    nock.disableNetConnect();
    h = await startMailHarness();
  });
  afterAll(async () => {
    await h.close();
    nock.enableNetConnect();
  });

  const jobFor = (kind: string, commentId: number) =>
    h.deps.queues.queue('mail').getJob(jobIds.forEntity('handle-comment', kind, commentId));
  const mailFor = async (commentId: number) =>
    (await h.deps.db.select().from(mail).where(eq(mail.githubCommentId, commentId)))[0];
  const deliveryReason = async (id: string) =>
    (
      await h.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.deliveryId, id))
    )[0];

  it('records a command on an epic as mail and enqueues one job for it', async () => {
    const epic = await seedEpic(h.deps);
    const event = issueCommentEvent({ body: '/factory status', issueNumber: epic.issueNumber });
    await receive(h.probot, event);
    const commentId = event.payload.comment.id;

    const job = await jobFor('issue', commentId);
    expect(job?.name).toBe('handle-comment');
    expect(job?.data).toMatchObject({
      installationId: 77,
      owner: 'acme',
      repo: 'widgets',
      repoId: 700,
      issueNumber: epic.issueNumber,
      commentId,
      commentKind: 'issue',
    });
    expect(await mailFor(commentId)).toMatchObject({
      fromHuman: 'alice',
      body: '/factory status',
      readAt: null,
      toAgentId: null,
      isForHuman: false,
    });
    expect(await deliveryReason(event.id)).toMatchObject({ status: 'enqueued' });
  });

  it('takes mentions on a task issue, its PR, reviews and review comments', async () => {
    const epic = await seedEpic(h.deps);
    const task = await seedTask(h.deps, epic, { prNumber: 900 + epic.issueNumber });
    const events = [
      issueCommentEvent({ body: '@factory-app why?', issueNumber: task.issueNumber }),
      issueCommentEvent({
        body: '@factory-app and here?',
        issueNumber: task.prNumber!,
        onPullRequest: true,
      }),
      reviewEvent({ body: '@factory-app please rename', issueNumber: task.prNumber! }),
      reviewCommentEvent({ body: '@factory-app off by one', issueNumber: task.prNumber! }),
    ];
    for (const event of events) await receive(h.probot, event);
    const kinds = ['issue', 'issue', 'review', 'review-comment'];
    for (const [i, event] of events.entries()) {
      const id = 'comment' in event.payload ? event.payload.comment.id : event.payload.review.id;
      expect(await jobFor(kinds[i]!, id), `event ${i}`).toBeDefined();
      expect(await mailFor(id)).toBeDefined();
    }
    // The review was admitted under a key of its own, leaving the delivery to the merge queue too.
    expect(await deliveryReason(`${events[2]!.id}:mail`)).toMatchObject({ status: 'enqueued' });
  });

  it.each([
    ['a comment not addressed to Factory', { body: 'looks good to me' }, 'not addressed'],
    [
      'a mention hidden in an HTML comment',
      { body: 'ok <!-- @factory-app cancel -->' },
      'not addressed',
    ],
    [
      'another bot',
      { body: '/factory cancel', author: 'dependabot[bot]', authorType: 'Bot' as const },
      undefined,
    ],
    [
      'this App',
      { body: '@factory-app status: done', author: 'factory-app[bot]', authorType: 'Bot' as const },
      undefined,
    ],
  ])('ignores %s', async (_name, event, reason) => {
    const epic = await seedEpic(h.deps);
    const delivery = issueCommentEvent({ ...event, issueNumber: epic.issueNumber });
    await receive(h.probot, delivery);
    expect(await jobFor('issue', delivery.payload.comment.id)).toBeUndefined();
    expect(await mailFor(delivery.payload.comment.id)).toBeUndefined();
    const row = await deliveryReason(delivery.id);
    expect(row?.status).toBe('ignored');
    if (reason) expect(row?.reason).toContain(reason);
  });

  it('ignores comments on issues that are not Factory’s', async () => {
    const delivery = issueCommentEvent({ body: '/factory status', issueNumber: 99_999 });
    await receive(h.probot, delivery);
    expect(await jobFor('issue', delivery.payload.comment.id)).toBeUndefined();
    expect((await deliveryReason(delivery.id))?.reason).toContain('not an epic, a task');
  });

  it('does not take a comment again when it is edited or redelivered', async () => {
    const epic = await seedEpic(h.deps);
    const commentId = nextCommentId();
    const created = issueCommentEvent({
      body: '/factory pause',
      issueNumber: epic.issueNumber,
      commentId,
    });
    await receive(h.probot, created);
    const first = await jobFor('issue', commentId);
    expect(first).toBeDefined();

    const edited = issueCommentEvent({
      body: '/factory cancel',
      issueNumber: epic.issueNumber,
      commentId,
      action: 'edited',
    });
    await receive(h.probot, edited);
    expect((await deliveryReason(edited.id))?.reason).toContain('edited after Factory took it');
    expect((await mailFor(commentId))?.body).toBe('/factory pause');

    await receive(h.probot, created);
    // The redelivery is refused by the delivery guard and would be by the job id.
    expect((await jobFor('issue', commentId))?.timestamp).toBe(first?.timestamp);
  });

  it('takes an edit that newly addresses the bot', async () => {
    const epic = await seedEpic(h.deps);
    const commentId = nextCommentId();
    await receive(
      h.probot,
      issueCommentEvent({ body: 'thinking…', issueNumber: epic.issueNumber, commentId }),
    );
    expect(await jobFor('issue', commentId)).toBeUndefined();
    await receive(
      h.probot,
      issueCommentEvent({
        body: '/factory status',
        issueNumber: epic.issueNumber,
        commentId,
        action: 'edited',
      }),
    );
    expect(await jobFor('issue', commentId)).toBeDefined();
  });
});
