import { eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { findEpic } from '../../../src/db/epics.js';
import { openEscalationCount } from '../../../src/agents/orchestrator/escalation/escalate.js';
import { escalations, mail } from '../../../src/db/schema.js';
import { findTask } from '../../../src/db/tasks.js';
import { mailProcessors } from '../../../src/mail/processors.js';
import { jobIds } from '../../../src/queues/jobs.js';
import type { QueueWorkers } from '../../../src/queues/workers.js';
import { api, expectComment, expectStateLabel, permissionOf, repoPath } from './githubNock.js';
import {
  commentJobId,
  issueCommentEvent,
  receive,
  seedAgent,
  seedEpic,
  seedTask,
  startMailHarness,
  startMailWorkers,
  waitForJob,
  type MailHarness,
} from './harness.js';

describe('/factory commands', () => {
  let h: MailHarness;
  let workers: QueueWorkers;
  const cancelAgentRun = vi.fn((_agentId: number, _reason: string) => Promise.resolve());
  const startWaitingTasks = vi.fn(() => Promise.resolve());

  beforeAll(async () => {
    nock.disableNetConnect();
    h = await startMailHarness();
    workers = startMailWorkers(h, { cancelAgentRun, startWaitingTasks });
    permissionOf('alice', 'admin');
    permissionOf('bob', 'read');
  });
  afterEach(() => {
    const pending = nock.pendingMocks().filter((m) => !m.includes('/permission'));
    expect(pending).toEqual([]);
  });
  afterAll(async () => {
    await workers.close();
    await h.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  async function say(body: string, issueNumber: number, author = 'alice') {
    const event = issueCommentEvent({ body, issueNumber, author });
    await receive(h.probot, event);
    await waitForJob(h, 'mail', commentJobId('issue', event.payload.comment.id));
    return event.payload.comment.id;
  }

  it('answers status on an epic with its state, tasks, PRs, attempts and cost', async () => {
    const epic = await seedEpic(h.deps, {
      state: 'IN_PROGRESS',
      plan: { tasks: [] },
      planApprovedBy: 'alice',
      planApprovedAt: new Date(),
    });
    await seedTask(h.deps, epic, { title: 'Parser', state: 'REVIEW', prNumber: 321, attempts: 2 });
    await seedTask(h.deps, epic, { title: 'Docs', state: 'PENDING' });
    const reply = expectComment(
      epic.issueNumber,
      (b) => b.includes('IN_PROGRESS') && b.includes('#321'),
    );
    const commentId = await say('/factory status', epic.issueNumber);

    expect(reply.scope.isDone()).toBe(true);
    expect(reply.bodies[0]).toContain('@alice');
    expect(reply.bodies[0]).toMatch(/\| #\d+ Parser \| REVIEW \| #321 \| 2 \| \$0\.00 \|/);
    expect(reply.bodies[0]).toContain('Tasks: 2 — 1 REVIEW, 1 PENDING');
    expect(reply.bodies[0]).toContain('<!-- factory:mail:reply-issue-');
    const rows = await h.deps.db.select().from(mail).where(eq(mail.epicId, epic.id));
    const incoming = rows.find((r) => r.githubCommentId === commentId);
    const outgoing = rows.find((r) => r.isForHuman);
    expect(incoming).toMatchObject({
      fromHuman: 'alice',
      readAt: expect.any(Date),
      epicId: epic.id,
    });
    expect(outgoing).toMatchObject({
      githubCommentId: 90_000 + epic.issueNumber,
      subject: '/factory status → status',
    });
  });

  it('approves a waiting plan and enqueues the sub-issues', async () => {
    const epic = await seedEpic(h.deps, { plan: { tasks: [{ title: 'x' }] } });
    const reply = expectComment(epic.issueNumber, (b) => b.includes('Plan approved by @alice'));
    await say('/factory approve', epic.issueNumber);

    expect(reply.scope.isDone()).toBe(true);
    expect(await findEpic(h.deps.db, epic.id)).toMatchObject({
      planApprovedBy: 'alice',
      planApprovedAt: expect.any(Date),
    });
    const job = await h.deps.queues
      .queue('epic')
      .getJob(jobIds.forEntity('create-sub-issues', epic.id));
    expect(job?.data).toMatchObject({ epicId: epic.id, owner: 'acme', repo: 'widgets' });
  });

  it('refuses an outsider once per person and issue, and changes nothing', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const reply = expectComment(
      epic.issueNumber,
      (b) => b.includes('@bob') && b.includes('write access'),
    );
    await say('/factory cancel', epic.issueNumber, 'bob');
    await say('@factory-app please delete the tests', epic.issueNumber, 'bob');

    expect(reply.scope.isDone()).toBe(true);
    expect(reply.bodies).toHaveLength(1);
    expect(await findEpic(h.deps.db, epic.id)).toMatchObject({
      state: 'IN_PROGRESS',
      pausedAt: null,
    });
    expect(
      await h.deps.queues.queue('epic').getJob(jobIds.forEntity('cancel-epic', epic.id)),
    ).toBeUndefined();
    const incoming = await h.deps.db.select().from(mail).where(eq(mail.fromHuman, 'bob'));
    expect(incoming.every((row) => row.readAt !== null && row.toAgentId === null)).toBe(true);
  });

  it('names an unknown command and a command in the wrong place', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const task = await seedTask(h.deps, epic, { state: 'IN_PROGRESS' });
    const unknown = expectComment(
      epic.issueNumber,
      (b) => b.includes('`/factory deploy` is not a command') && b.includes('/factory replan'),
    );
    const wrong = expectComment(task.issueNumber, (b) =>
      b.includes(`comment it on epic #${epic.issueNumber}`),
    );
    await say('/factory deploy', epic.issueNumber);
    await say('/factory approve', task.issueNumber);
    expect(unknown.scope.isDone() && wrong.scope.isDone()).toBe(true);
  });

  it('retries a failed task: PENDING, blocked label gone, dispatcher asked', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const task = await seedTask(h.deps, epic, {
      state: 'FAILED',
      failureReason: 'tests failed',
      attempts: 3,
    });
    const labels = expectStateLabel(task.issueNumber, ['factory:blocked', 'bug']);
    const reply = expectComment(task.issueNumber, (b) =>
      b.includes('goes back to the queue (it was FAILED)'),
    );
    startWaitingTasks.mockClear();
    await say('/factory retry', task.issueNumber);

    expect(labels.isDone() && reply.scope.isDone()).toBe(true);
    expect(await findTask(h.deps.db, task.id)).toMatchObject({
      state: 'PENDING',
      failureReason: null,
    });
    expect(startWaitingTasks).toHaveBeenCalledTimes(1);
  });

  it('cancels a running task: BLOCKED with the reason, label, worker stopped', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const task = await seedTask(h.deps, epic, { state: 'IN_PROGRESS' });
    const worker = await seedAgent(h.deps, {
      kind: 'worker',
      state: 'BUSY',
      epicId: epic.id,
      taskId: task.id,
    });
    const labels = expectStateLabel(task.issueNumber, ['factory:in-progress'], 'factory:blocked');
    const reply = expectComment(task.issueNumber, (b) => b.includes('now BLOCKED'));
    cancelAgentRun.mockClear();
    await say('/factory cancel', task.issueNumber);

    expect(labels.isDone() && reply.scope.isDone()).toBe(true);
    expect(await findTask(h.deps.db, task.id)).toMatchObject({
      state: 'BLOCKED',
      blockedReason: 'cancelled by @alice with /factory cancel',
    });
    expect(cancelAgentRun).toHaveBeenCalledWith(
      worker.id,
      'cancelled by @alice with /factory cancel',
    );
  });

  it('cancels an epic through the cancel-epic job', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const reply = expectComment(epic.issueNumber, (b) => b.includes('Cancelling epic'));
    await say('/factory cancel', epic.issueNumber);
    expect(reply.scope.isDone()).toBe(true);
    const job = await h.deps.queues.queue('epic').getJob(jobIds.forEntity('cancel-epic', epic.id));
    expect(job?.data).toMatchObject({
      epicId: epic.id,
      reason: 'cancelled by @alice with /factory cancel',
    });
  });

  it('pauses and resumes an epic', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    expectComment(epic.issueNumber, (b) => b.includes('is paused'), 1);
    await say('/factory pause', epic.issueNumber);
    expect(await findEpic(h.deps.db, epic.id)).toMatchObject({
      pausedAt: expect.any(Date),
      pausedReason: 'paused by @alice',
    });

    expectComment(epic.issueNumber, (b) => b.includes('already paused'), 2);
    await say('/factory pause', epic.issueNumber);

    startWaitingTasks.mockClear();
    expectComment(epic.issueNumber, (b) => b.includes('resumes'), 3);
    await say('/factory resume', epic.issueNumber);
    expect(await findEpic(h.deps.db, epic.id)).toMatchObject({
      pausedAt: null,
      pausedReason: null,
    });
    expect(startWaitingTasks).toHaveBeenCalledTimes(1);
  });

  it("resumes a parked epic: IN_PROGRESS again, the orchestrator's escalations resolved, blocked label gone", async () => {
    const epic = await seedEpic(h.deps, {
      state: 'BLOCKED',
      blockedReason: 'a crash loop',
      plan: { tasks: [] },
      planApprovedAt: new Date(),
      planApprovedBy: 'alice',
    });
    const task = await seedTask(h.deps, epic, { state: 'BLOCKED' });
    await h.deps.db.insert(escalations).values([
      { epicId: epic.id, cause: 'crash-loop', message: 'parked' },
      { epicId: epic.id, cause: `pr-gone:${task.id}`, message: 'task parked' },
    ]);
    const labels = expectStateLabel(
      epic.issueNumber,
      ['factory:epic', 'factory:blocked'],
      'factory:in-progress',
    );
    const reply = expectComment(epic.issueNumber, (b) => b.includes('resumes'));
    startWaitingTasks.mockClear();
    await say('/factory resume', epic.issueNumber);

    expect(labels.isDone() && reply.scope.isDone()).toBe(true);
    expect(await findEpic(h.deps.db, epic.id)).toMatchObject({
      state: 'IN_PROGRESS',
      blockedReason: null,
    });
    const rows = await h.deps.db.select().from(escalations).where(eq(escalations.epicId, epic.id));
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.resolvedAt !== null)).toBe(true);
    expect(await openEscalationCount(h.deps.db, epic.id)).toBe(0);
    // The task stays parked with its own label: `/factory retry` on it is the way back.
    expect(await findTask(h.deps.db, task.id)).toMatchObject({ state: 'BLOCKED' });
    expect(startWaitingTasks).toHaveBeenCalledTimes(1);
  });

  it('resumes an epic that is not paused but has an open escalation, and resolves it', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    await h.deps.db
      .insert(escalations)
      .values({ epicId: epic.id, cause: 'detach-task:1', message: 'detached' });
    const labels = expectStateLabel(
      epic.issueNumber,
      ['factory:in-progress'],
      'factory:in-progress',
    );
    expectComment(epic.issueNumber, (b) => b.includes('resumes'));
    await say('/factory resume', epic.issueNumber);
    expect(labels.isDone()).toBe(true);
    expect(await openEscalationCount(h.deps.db, epic.id)).toBe(0);
  });

  it('replans an epic in progress: PLANNING, plan cleared, plan-epic enqueued', async () => {
    const epic = await seedEpic(h.deps, {
      state: 'IN_PROGRESS',
      plan: { tasks: [] },
      planApprovedAt: new Date(),
      planApprovedBy: 'alice',
    });
    expectComment(epic.issueNumber, (b) => b.includes('Planning epic'));
    const commentId = await say('/factory replan', epic.issueNumber);
    expect(await findEpic(h.deps.db, epic.id)).toMatchObject({
      state: 'PLANNING',
      plan: null,
      planApprovedAt: null,
    });
    const job = await h.deps.queues
      .queue('epic')
      .getJob(jobIds.forEntity('plan-epic', epic.id, 'replan', commentId));
    expect(job?.data).toMatchObject({ epicId: epic.id });
  });

  it('posts nothing twice when the job runs again, and finds a reply a crashed run posted', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    expectComment(epic.issueNumber, (b) => b.includes('is paused'));
    const commentId = await say('/factory pause', epic.issueNumber);
    const job = await h.deps.queues.queue('mail').getJob(commentJobId('issue', commentId));
    const handle = mailProcessors(h.deps, { cancelAgentRun, startWaitingTasks })['handle-comment']!;
    permissionOf('alice', 'admin');

    // Run again: nothing is posted (nock would refuse the request and fail the run).
    await handle(job!.data as never, { attemptsMade: 1 } as never);

    // A run that posted but crashed before noting the comment: the retry finds it by its marker.
    const key = `reply-issue-${commentId}`;
    await h.deps.db.update(mail).set({ githubCommentId: null }).where(eq(mail.dedupeKey, key));
    const search = nock(api)
      .get(`${repoPath}/issues/${epic.issueNumber}/comments`)
      .query(true)
      .reply(200, [
        {
          id: 1,
          body: `<!-- factory:mail:${key} --> pasted by someone`,
          user: { login: 'mallory' },
          html_url: 'x',
        },
        {
          id: 4242,
          body: `<!-- factory:mail:${key} -->\n@alice paused`,
          user: { login: 'factory-app[bot]' },
          html_url: 'y',
        },
      ]);
    await handle(job!.data as never, { attemptsMade: 2 } as never);
    expect(search.isDone()).toBe(true);
    const [reply] = await h.deps.db.select().from(mail).where(eq(mail.dedupeKey, key));
    expect(reply?.githubCommentId).toBe(4242);
    expect(await findEpic(h.deps.db, epic.id)).toMatchObject({ pausedReason: 'paused by @alice' });
  });
});
