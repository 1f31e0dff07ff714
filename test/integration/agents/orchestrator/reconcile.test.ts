import { eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile } from '../../../../src/agents/orchestrator/reconcile/reconcilePass.js';
import { escalations, mergeQueueEntries, tasks } from '../../../../src/db/schema.js';
import { assertNockDone, githubApi, useNock } from '../../../support/github.js';
import { createOrchestratorHarness, type OrchestratorHarness } from './harness.js';

let h: OrchestratorHarness;
beforeAll(async () => {
  useNock();
  h = await createOrchestratorHarness();
});
afterEach(() => assertNockDone());
afterAll(async () => {
  nock.enableNetConnect();
  await h.close();
});

const labels = [{ name: 'factory:epic' }, { name: 'factory:in-progress' }];
const subIssue = (number: number) => ({
  id: 9000 + number,
  number,
  title: `Sub-issue ${number}`,
  body: 'Do the thing',
});

describe('reconciliation', () => {
  it('repairs a missed sub_issue_added and wakes the merge queue for a missed pull_request.closed, once however many passes', async () => {
    const epic = await h.seedEpic();
    const reviewed = await h.seedTask(epic, {
      state: 'REVIEW',
      prNumber: 41,
      headSha: 'aaa111',
      attempts: 1,
    });
    await h.database.db
      .insert(mergeQueueEntries)
      .values({ epicId: epic.id, taskId: reviewed.id, prNumber: 41, position: 1 });
    const manual = 7000 + epic.issueNumber;
    const repo = `/repos/octo/lib`;

    // What GitHub says now: a sub-issue added by hand (its webhook was lost) and PR #41 merged.
    nock(githubApi)
      .get(`${repo}/issues/${epic.issueNumber}`)
      .reply(200, { state: 'open', labels }, { etag: '"epic-1"' })
      .get(`${repo}/issues/${epic.issueNumber}/sub_issues`)
      .query({ per_page: '100' })
      .reply(200, [subIssue(reviewed.issueNumber), subIssue(manual)], { etag: '"subs-1"' })
      .get(`${repo}/pulls/41`)
      .reply(
        200,
        { state: 'closed', merged: true, merge_commit_sha: 'merged41', head: { sha: 'aaa111' } },
        { etag: '"pull-1"' },
      );
    const first = await runReconcile(h.deps, { epicId: epic.id, passKey: 'p1' });

    expect(first.repairs.map((r) => r.repair.kind).sort()).toEqual(['add-task', 'pr-closed']);
    expect(first.apiCalls).toBe(3);
    // The missed sub-issue is a task now, with its first attempt queued (the intake's own path).
    const [added] = await h.database.db.select().from(tasks).where(eq(tasks.issueNumber, manual));
    expect(added).toMatchObject({
      epicId: epic.id,
      state: 'PENDING',
      title: `Sub-issue ${manual}`,
    });
    const implementJobs = await h.jobs('implement-task');
    expect(implementJobs).toContainEqual({
      id: `implement-task-${added?.id}-1`,
      data: expect.objectContaining({ taskId: added?.id, attempt: 1 }),
    });
    // The merged PR wakes the epic's merge queue, as the webhook would; the queue records it
    // (reconcileMergeQueue.test.ts runs the queue). Reconciliation itself changes no record of it.
    expect((await h.task(reviewed.id)).state).toBe('REVIEW');
    const [entry] = await h.database.db
      .select()
      .from(mergeQueueEntries)
      .where(eq(mergeQueueEntries.taskId, reviewed.id));
    expect(entry).toMatchObject({ state: 'queued' });
    const wakes = async () =>
      (await h.jobs('advance-merge-queue')).filter((j) => j.id?.includes('-pr-41-'));
    expect((await wakes()).map((j) => j.id)).toEqual([
      `advance-merge-queue-${epic.id}-pr-41-closed`,
    ]);
    expect(await h.decisions(epic.id)).toEqual(
      expect.arrayContaining(['repair:add-task', 'repair:pr-closed']),
    );

    // Second pass before the queue ran: every request is conditional and answered 304; the PR
    // is still closed and its task still in review, and the wake is still the one job.
    nock(githubApi, { reqheaders: { 'if-none-match': '"epic-1"' } })
      .get(`${repo}/issues/${epic.issueNumber}`)
      .reply(304);
    nock(githubApi, { reqheaders: { 'if-none-match': '"subs-1"' } })
      .get(`${repo}/issues/${epic.issueNumber}/sub_issues`)
      .query({ per_page: '100' })
      .reply(304);
    nock(githubApi, { reqheaders: { 'if-none-match': '"pull-1"' } })
      .get(`${repo}/pulls/41`)
      .reply(304);
    const second = await runReconcile(h.deps, { epicId: epic.id, passKey: 'p2' });
    expect(second.repairs.map((r) => r.repair.kind)).toEqual(['pr-closed']);
    expect(second.apiCalls).toBe(3);
    expect(await wakes()).toHaveLength(1);
    const tasksNow = await h.database.db.select().from(tasks).where(eq(tasks.epicId, epic.id));
    expect(tasksNow).toHaveLength(2);
  });

  it('escalates a task whose issue left the epic once, not every pass', async () => {
    const epic = await h.seedEpic();
    const task = await h.seedTask(epic, { state: 'IN_PROGRESS' });
    const repo = `/repos/octo/lib`;
    const github = () =>
      nock(githubApi)
        .get(`${repo}/issues/${epic.issueNumber}`)
        .reply(200, { state: 'open', labels })
        .get(`${repo}/issues/${epic.issueNumber}/sub_issues`)
        .query({ per_page: '100' })
        .reply(200, []);
    github()
      .post(`${repo}/issues/${epic.issueNumber}/comments`, (body: { body: string }) =>
        body.body.includes(`task #${task.issueNumber} is parked as BLOCKED`),
      )
      .reply(201, { id: 556, html_url: 'https://github.com/c/556' })
      .get(`${repo}/issues/${task.issueNumber}/labels`)
      .query(true)
      .reply(200, [])
      .post(`${repo}/issues/${task.issueNumber}/labels`, { labels: ['factory:blocked'] })
      .reply(200, []);
    await runReconcile(h.deps, { epicId: epic.id, passKey: 'p5' });
    expect((await h.task(task.id)).state).toBe('BLOCKED');
    const rows = await h.database.db
      .select()
      .from(escalations)
      .where(eq(escalations.epicId, epic.id));
    expect(rows).toMatchObject([{ cause: `detach-task:${task.id}`, githubCommentId: 556 }]);

    github(); // the task is BLOCKED but still detached: the diff says so, the escalation does not repeat
    await runReconcile(h.deps, { epicId: epic.id, passKey: 'p6' });
    expect(
      await h.database.db.select().from(escalations).where(eq(escalations.epicId, epic.id)),
    ).toHaveLength(1);
  });

  it('cancels an epic whose label was removed with no webhook, and puts back a missing state label', async () => {
    const removed = await h.seedEpic();
    const unlabelled = await h.seedEpic();
    const repo = `/repos/octo/lib`;
    nock(githubApi)
      .get(`${repo}/issues/${removed.issueNumber}`)
      .reply(200, { state: 'open', labels: [{ name: 'factory:in-progress' }] })
      .get(`${repo}/issues/${unlabelled.issueNumber}`)
      .reply(200, { state: 'open', labels: [{ name: 'factory:epic' }] })
      .get(`${repo}/issues/${unlabelled.issueNumber}/sub_issues`)
      .query({ per_page: '100' })
      .reply(200, [])
      .get(`${repo}/issues/${unlabelled.issueNumber}/labels`)
      .query(true)
      .reply(200, [{ name: 'factory:epic' }])
      .post(`${repo}/issues/${unlabelled.issueNumber}/labels`, {
        labels: ['factory:in-progress'],
      })
      .reply(200, []);
    for (const epic of [removed, unlabelled]) {
      await runReconcile(h.deps, { epicId: epic.id, passKey: `p7-${epic.id}` });
    }
    const cancels = await h.jobs('cancel-epic');
    expect(cancels).toContainEqual({
      id: `cancel-epic-${removed.id}-reconcile`,
      data: expect.objectContaining({ reason: 'the label factory:epic was removed' }),
    });
  });

  it('keeps to its API budget and resumes with the epics it skipped', async () => {
    const budgeted = await createOrchestratorHarness({ RECONCILE_MAX_API_CALLS: '2' });
    try {
      const [a, b] = [await budgeted.seedEpic(), await budgeted.seedEpic()];
      const repo = `/repos/octo/lib`;
      const epicCalls = (number: number) =>
        nock(githubApi)
          .get(`${repo}/issues/${number}`)
          .reply(200, { state: 'open', labels })
          .get(`${repo}/issues/${number}/sub_issues`)
          .query({ per_page: '100' })
          .reply(200, []);
      epicCalls(a.issueNumber);
      const first = await runReconcile(budgeted.deps, { passKey: 'b1' });
      expect(first).toMatchObject({ epicsChecked: [a.id], deferred: [b.id], apiCalls: 2 });
      epicCalls(b.issueNumber);
      const second = await runReconcile(budgeted.deps, { passKey: 'b2' });
      expect(second).toMatchObject({ epicsChecked: [b.id], deferred: [a.id], apiCalls: 2 });
    } finally {
      await budgeted.close();
    }
  });
});
