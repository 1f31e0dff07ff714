import { describe, expect, it } from 'vitest';
import { defaultRepoConfig } from '../../../../../src/config/repoConfig.js';
import {
  diffEpic,
  pullsToWatch,
  type EpicRecord,
  type GitHubEpicView,
  type PullView,
  type TaskRecord,
} from '../../../../../src/agents/orchestrator/reconcile/diffEpic.js';
import { closedWithoutMergeReason } from '../../../../../src/domain/closedPullRequest.js';

const labels = defaultRepoConfig.labels;
const epic: EpicRecord = { epicId: 1, state: 'IN_PROGRESS', issueNumber: 10 };
const task = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  taskId: 5,
  issueNumber: 11,
  issueId: 1011,
  state: 'REVIEW',
  prNumber: 20,
  headSha: 'aaa',
  blockedReason: null,
  ...over,
});
const openIssue = { state: 'open' as const, labels: ['factory:epic', 'factory:in-progress'] };
const sub = (number: number, state: 'open' | 'closed' = 'open') => ({
  id: 1000 + number,
  number,
  title: `t${number}`,
  body: '',
  state,
});
const view = (over: Partial<GitHubEpicView> = {}): GitHubEpicView => ({
  issue: openIssue,
  subIssues: [sub(11)],
  pulls: new Map<number, PullView>([[20, { state: 'open', headSha: 'aaa' }]]),
  ...over,
});

describe('diffEpic', () => {
  it('finds nothing to repair when GitHub agrees with the records', () => {
    expect(diffEpic(epic, [task()], view(), labels)).toEqual([]);
  });

  it('finds nothing when GitHub was not looked at this pass', () => {
    expect(diffEpic(epic, [task()], { pulls: new Map() }, labels)).toEqual([]);
  });

  it('adds a task for a sub-issue no webhook reported (missed sub_issue_added)', () => {
    const repairs = diffEpic(epic, [task()], view({ subIssues: [sub(11), sub(12)] }), labels);
    expect(repairs).toEqual([{ kind: 'add-task', subIssue: sub(12) }]);
  });

  it('leaves new sub-issues to the supervisor while the epic is still planning', () => {
    const planning = { ...epic, state: 'PLANNING' as const };
    const repairs = diffEpic(
      planning,
      [],
      view({ issue: { state: 'open', labels: ['factory:epic', 'factory:planning'] } }),
      labels,
    );
    expect(repairs).toEqual([]);
  });

  it('does not detach a task the planning supervisor has created but not linked yet', () => {
    const planning = { ...epic, state: 'PLANNING' as const };
    const created = task({ state: 'PENDING', issueNumber: 12, prNumber: null, headSha: null });
    const repairs = diffEpic(
      planning,
      [created],
      view({
        issue: { state: 'open', labels: ['factory:epic', 'factory:planning'] },
        subIssues: [],
      }),
      labels,
    );
    expect(repairs).toEqual([]);
  });

  it('detaches an unfinished task whose sub-issue is gone (deleted or removed)', () => {
    const repairs = diffEpic(
      epic,
      [task({ state: 'IN_PROGRESS' })],
      view({ subIssues: [] }),
      labels,
    );
    expect(repairs).toEqual([{ kind: 'detach-task', taskId: 5, issueNumber: 11 }]);
    expect(diffEpic(epic, [task({ state: 'COMPLETED' })], view({ subIssues: [] }), labels)).toEqual(
      [],
    );
  });

  it('reports a merged PR no webhook told about (missed pull_request.closed)', () => {
    const pulls = new Map<number, PullView>([
      [20, { state: 'closed', merged: true, mergedSha: 'm1', headSha: 'aaa' }],
    ]);
    expect(diffEpic(epic, [task()], view({ pulls }), labels)).toEqual([
      { kind: 'pr-closed', taskId: 5, prNumber: 20, merged: true, mergedSha: 'm1' },
    ]);
    // Once the task is COMPLETED the merge is known: nothing left to do.
    expect(diffEpic(epic, [task({ state: 'COMPLETED' })], view({ pulls }), labels)).toEqual([]);
  });

  it('reports a PR closed without merging until its task is BLOCKED', () => {
    const pulls = new Map<number, PullView>([
      [20, { state: 'closed', merged: false, mergedSha: null, headSha: 'aaa' }],
    ]);
    expect(diffEpic(epic, [task()], view({ pulls }), labels)).toEqual([
      { kind: 'pr-closed', taskId: 5, prNumber: 20, merged: false, mergedSha: null },
    ]);
    expect(diffEpic(epic, [task({ state: 'BLOCKED' })], view({ pulls }), labels)).toEqual([]);
  });

  it('reports a PR whose head moved without a synchronize event', () => {
    const pulls = new Map<number, PullView>([[20, { state: 'open', headSha: 'bbb' }]]);
    expect(diffEpic(epic, [task()], view({ pulls }), labels)).toEqual([
      { kind: 'pr-updated', taskId: 5, prNumber: 20, headSha: 'bbb' },
    ]);
    // While the worker is still pushing (IN_PROGRESS), a moving head is expected.
    expect(diffEpic(epic, [task({ state: 'IN_PROGRESS' })], view({ pulls }), labels)).toEqual([]);
  });

  it('reports a deleted PR', () => {
    const pulls = new Map<number, PullView>([[20, { state: 'gone' }]]);
    expect(diffEpic(epic, [task()], view({ pulls }), labels)).toEqual([
      { kind: 'pr-gone', taskId: 5, prNumber: 20 },
    ]);
    expect(diffEpic(epic, [task({ state: 'BLOCKED' })], view({ pulls }), labels)).toEqual([]);
  });

  it('cancels the epic when its issue was deleted, closed or lost the epic label — and nothing else', () => {
    const extra = { subIssues: [sub(11), sub(12)] };
    expect(diffEpic(epic, [task()], view({ ...extra, issue: { state: 'gone' } }), labels)).toEqual([
      { kind: 'cancel-epic', reason: 'epic issue #10 was deleted' },
    ]);
    expect(
      diffEpic(
        epic,
        [task()],
        view({ ...extra, issue: { ...openIssue, state: 'closed' } }),
        labels,
      ),
    ).toEqual([{ kind: 'cancel-epic', reason: 'epic issue #10 was closed' }]);
    expect(
      diffEpic(
        epic,
        [task()],
        view({ ...extra, issue: { state: 'open', labels: ['factory:in-progress'] } }),
        labels,
      ),
    ).toEqual([{ kind: 'cancel-epic', reason: 'the label factory:epic was removed' }]);
  });

  it('asks for the state label again when someone removed it', () => {
    const repairs = diffEpic(
      epic,
      [task()],
      view({ issue: { state: 'open', labels: ['factory:epic'] } }),
      labels,
    );
    expect(repairs).toEqual([{ kind: 'refresh-labels', missing: 'factory:in-progress' }]);
  });

  it('uses the repository’s own label names', () => {
    const custom = { ...labels, epic: 'ai-epic', inProgress: 'ai-working' };
    expect(
      diffEpic(
        epic,
        [task()],
        view({ issue: { state: 'open', labels: ['ai-epic', 'ai-working'] } }),
        custom,
      ),
    ).toEqual([]);
  });

  it('watches the PRs of unfinished tasks only', () => {
    expect(
      pullsToWatch([
        task({ taskId: 1, prNumber: 1 }),
        task({ taskId: 2, prNumber: null }),
        task({ taskId: 3, prNumber: 3, state: 'COMPLETED' }),
        task({ taskId: 4, prNumber: 4, state: 'BLOCKED' }),
      ]),
    ).toEqual([1, 4]);
  });

  it('takes back a PR a person reopened with no webhook, only when its closing blocked the task', () => {
    const closedBlock = task({
      state: 'BLOCKED',
      blockedReason: closedWithoutMergeReason(20),
    });
    expect(diffEpic(epic, [closedBlock], view(), labels)).toEqual([
      { kind: 'pr-reopened', taskId: 5, prNumber: 20, headSha: 'aaa' },
    ]);
    // Blocked for another reason (a cancel, an escalation): an open PR unblocks nothing.
    const cancelled = task({ state: 'BLOCKED', blockedReason: 'cancelled by @ann' });
    expect(diffEpic(epic, [cancelled], view(), labels)).toEqual([]);
    // Still closed: nothing to take back.
    const pulls = new Map<number, PullView>([
      [20, { state: 'closed', merged: false, mergedSha: null, headSha: 'aaa' }],
    ]);
    expect(diffEpic(epic, [closedBlock], view({ pulls }), labels)).toEqual([]);
  });

  it('parks a task whose issue a person closed, but not one whose PR merged (Closes #n)', () => {
    const closedSub = view({ subIssues: [sub(11, 'closed')] });
    expect(
      diffEpic(epic, [task({ state: 'IN_PROGRESS', prNumber: null })], closedSub, labels),
    ).toEqual([{ kind: 'task-issue-closed', taskId: 5, issueNumber: 11 }]);
    expect(diffEpic(epic, [task()], closedSub, labels)).toEqual([
      { kind: 'task-issue-closed', taskId: 5, issueNumber: 11 },
    ]);
    const merged = new Map<number, PullView>([
      [20, { state: 'closed', merged: true, mergedSha: 'm1', headSha: 'aaa' }],
    ]);
    expect(
      diffEpic(epic, [task()], view({ subIssues: [sub(11, 'closed')], pulls: merged }), labels),
    ).toEqual([{ kind: 'pr-closed', taskId: 5, prNumber: 20, merged: true, mergedSha: 'm1' }]);
    // Its PR not read this pass: whether it merged is unknown, so nothing yet.
    expect(
      diffEpic(epic, [task()], view({ subIssues: [sub(11, 'closed')], pulls: new Map() }), labels),
    ).toEqual([]);
    // Finished or already parked: nothing.
    for (const state of ['COMPLETED', 'BLOCKED'] as const) {
      expect(diffEpic(epic, [task({ state })], closedSub, labels)).toEqual([]);
    }
  });

  describe('checks finished with no webhook', () => {
    const lookedAt = new Date('2026-01-01T10:00:00Z');
    const finishedAt = new Date('2026-01-01T10:01:00Z');
    const atHead = { ...epic, queueHead: { taskId: 5, lookedAt } };
    const checks = (over: Partial<GitHubEpicView['headChecks']> = {}) =>
      view({ headChecks: { headSha: 'aaa', lastFinishedAt: finishedAt, ...over } });
    const later = (ms: number) => ({ now: new Date(finishedAt.getTime() + ms), settleMs: 60_000 });

    it('wakes the queue for a check that finished after its last look, once the webhook had time', () => {
      expect(diffEpic(atHead, [task()], checks(), labels, later(61_000))).toEqual([
        {
          kind: 'checks-finished',
          taskId: 5,
          prNumber: 20,
          headSha: 'aaa',
          finishedAt: finishedAt.toISOString(),
        },
      ]);
      // Its webhook may still be on the way.
      expect(diffEpic(atHead, [task()], checks(), labels, later(30_000))).toEqual([]);
      // A queue that never looked at its head yet.
      const neverLooked = { ...epic, queueHead: { taskId: 5, lookedAt: null } };
      expect(diffEpic(neverLooked, [task()], checks(), labels, later(61_000))).toHaveLength(1);
    });

    it('finds nothing once the queue looked after the check finished, or while none finished', () => {
      const lookedLater = {
        ...epic,
        queueHead: { taskId: 5, lookedAt: new Date(finishedAt.getTime() + 1) },
      };
      expect(diffEpic(lookedLater, [task()], checks(), labels, later(120_000))).toEqual([]);
      expect(
        diffEpic(atHead, [task()], checks({ lastFinishedAt: null }), labels, later(120_000)),
      ).toEqual([]);
    });

    it('leaves heads it does not own: another commit, a PR behind the head, a task not in review', () => {
      // Checks of a commit that is no longer the PR's head.
      expect(diffEpic(atHead, [task()], checks({ headSha: 'old' }), labels, later(61_000))).toEqual(
        [],
      );
      const behind = { ...epic, queueHead: { taskId: 6, lookedAt } };
      expect(diffEpic(behind, [task()], checks(), labels, later(61_000))).toEqual([]);
      expect(
        diffEpic(atHead, [task({ state: 'IN_PROGRESS' })], checks(), labels, later(61_000)),
      ).toEqual([]);
    });
  });
});
