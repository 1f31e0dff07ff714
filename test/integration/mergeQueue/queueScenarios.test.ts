import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { findEpicSupervisorId } from '../../../src/db/agents.js';
import { decisionLog } from '../../../src/db/schema.js';
import { runGit } from '../../../src/git/index.js';
import { queueOf } from '../../../src/queues/jobs.js';
import { useNock } from '../../support/github.js';
import { commitAll, QueueHarness, type HarnessOptions } from '../../support/mergeQueue/harness.js';
import { git } from '../../support/git/localRemote.js';

/**
 * Issue 5, point 7: the epic's queue landing PRs for real — BullMQ workers on
 * Redis, PostgreSQL, real git on a local bare remote, GitHub as a stateful
 * fake behind nock, scripted agents.
 */

const base = { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'alpha\n', 'c.txt': 'red\n' };
let harness: QueueHarness | undefined;

async function start(options: Partial<HarnessOptions> & Pick<HarnessOptions, 'worker'>) {
  useNock();
  harness = new QueueHarness({ files: base, ...options });
  await harness.start();
  return harness;
}

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const noRework: HarnessOptions['worker'] = () => Promise.reject(new Error('no rework expected'));

// Real git and a real queue on a shared two-core machine: generous deadlines, polled, never slept on.
describe('the merge queue, end to end', { timeout: 300_000 }, () => {
  it('lands 3 PRs in order when the second conflicts with the first: one agent conflict resolution, no clean rebase sent to an agent', async () => {
    const h = await start({
      worker: async ({ worktree, reason }) => {
        expect(reason).toBe('conflict');
        // The agent's resolution: rebase onto the base and keep both sides' intent.
        try {
          await runGit(['rebase', '--quiet', 'refs/remotes/origin/main'], { cwd: worktree });
        } catch {
          writeFileSync(path.join(worktree, 'a.txt'), 'one\nTWO by 1 and 2\nthree\n');
          await runGit(['add', 'a.txt'], { cwd: worktree });
          await runGit(
            [
              '-c',
              'core.editor=true',
              '-c',
              'user.name=W',
              '-c',
              'user.email=w@e',
              'rebase',
              '--continue',
            ],
            {
              cwd: worktree,
            },
          );
        }
      },
    });
    const first = await h.addPullRequest(11, 101, { 'a.txt': 'one\nTWO by 1\nthree\n' });
    const second = await h.addPullRequest(12, 102, { 'a.txt': 'one\nTWO by 2\nthree\n' });
    const third = await h.addPullRequest(13, 103, { 'c.txt': 'blue\n' });
    for (const task of [first, second, third]) await h.queue(task);

    await h.until(
      'all three merged and the epic closed out',
      async () =>
        (await h.epic()).state === 'COMPLETED' && h.github.issues.get(1)?.state === 'closed',
    );

    expect(h.baseHistory()).toEqual([
      'Initial commit',
      'Merge PR #101',
      'Merge PR #102',
      'Merge PR #103',
    ]);
    expect(git(h.bare, 'show', 'main:a.txt')).toBe('one\nTWO by 1 and 2\nthree\n');
    expect(git(h.bare, 'show', 'main:c.txt')).toBe('blue\n');
    // Exactly one round for an agent, and it was the real conflict of the second PR.
    expect(h.reworks).toEqual([
      expect.objectContaining({ taskId: second.id, reason: 'conflict', round: 1 }),
    ]);
    // The third PR was behind too: the app rebased it itself.
    const thirdEntry = (await h.entries()).find((e) => e.taskId === third.id);
    expect(thirdEntry).toMatchObject({ state: 'merged', reworkRounds: 0 });
    // Every merge was of a head containing the base, with green checks (the fake refuses otherwise).
    expect(h.github.merges.map((m) => m.pr)).toEqual([101, 102, 103]);
    expect(h.github.merges.every((m) => m.checks.every((c) => c.conclusion === 'success'))).toBe(
      true,
    );
    // Completion: sub-issues and epic closed, one summary comment, done labels.
    for (const issue of [1, 11, 12, 13]) expect(h.github.issues.get(issue)?.state).toBe('closed');
    const summaries =
      h.github.issues.get(1)?.comments.filter((c) => c.body.includes('Epic completed')) ?? [];
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.body).toMatch(/3 tasks, 3 pull requests merged/);
    // The queue's decisions are the supervisor's: its page lists them.
    const supervisorId = await findEpicSupervisorId(h.handle.db, (await h.epic()).id);
    expect(supervisorId).toBeDefined();
    await h.until('the completion recorded as the supervisor’s decision', async () => {
      const [completion] = await h.handle.db
        .select()
        .from(decisionLog)
        .where(eq(decisionLog.decision, 'merge-queue complete-epic'));
      return completion !== undefined && completion.agentId === supervisorId;
    });
    // No wake-up of the finished epic's queue is left waiting (the status page counted them).
    const epicId = (await h.epic()).id;
    await h.until('no merge-queue wake-up left for the finished epic', async () => {
      const delayed = await h.queues.queue(queueOf('advance-merge-queue')).getDelayed();
      return delayed.every((job) => (job.data as { epicId?: number }).epicId !== epicId);
    });
    expect(h.github.issues.get(1)?.labels).toEqual(['factory:done']);
    expect((await h.task(third.id)).state).toBe('COMPLETED');
  });

  it('never merges a PR with failing checks: the worker gets the output, fixes it, and only the green head lands', async () => {
    const h = await start({
      ci: (sha, bare) => {
        const broken = git(bare, 'show', `${sha}:b.txt`).includes('BROKEN');
        return [
          {
            name: 'test',
            conclusion: broken ? 'failure' : 'success',
            output: broken ? 'b.txt: BROKEN found' : '',
          },
        ];
      },
      worker: async ({ worktree, reason, mail }) => {
        expect(reason).toBe('checks-failed');
        expect(mail).toContain('b.txt: BROKEN found');
        writeFileSync(path.join(worktree, 'b.txt'), 'alpha\nfixed\n');
        await commitAll(worktree, 'Fix the failing test');
      },
    });
    const task = await h.addPullRequest(21, 201, { 'b.txt': 'alpha\nBROKEN\n' });
    await h.queue(task);
    await h.until('merged', async () => (await h.task(task.id)).state === 'COMPLETED');
    expect(h.reworks).toEqual([expect.objectContaining({ reason: 'checks-failed', round: 1 })]);
    expect(h.github.merges).toHaveLength(1);
    expect(h.github.merges[0]?.checks).toEqual([
      { name: 'test', conclusion: 'success', output: '' },
    ]);
    expect(git(h.bare, 'show', 'main:b.txt')).toBe('alpha\nfixed\n');
  });

  it('makes a REQUEST_CHANGES round trip: a real review with a line comment, the worker addresses it, a second review approves', async () => {
    const h = await start({
      review: (request, count) =>
        count === 1
          ? {
              verdict: 'REQUEST_CHANGES',
              summary: 'c.txt needs a trailing note.',
              comments: [{ path: 'c.txt', line: 1, body: 'Add a note after this line.' }],
            }
          : {
              verdict: 'APPROVE',
              summary: `Addressed (${request.prompt.includes('sent back') ? 'round seen' : 'first'}).`,
              comments: [],
            },
      worker: async ({ worktree, reason, mail }) => {
        expect(reason).toBe('changes-requested');
        expect(mail).toContain('`c.txt:1` — Add a note after this line.');
        writeFileSync(path.join(worktree, 'c.txt'), 'blue\nnote\n');
        await commitAll(worktree, 'Address review');
      },
    });
    const task = await h.addPullRequest(31, 301, { 'c.txt': 'blue\n' });
    await h.queue(task);
    await h.until('merged', async () => (await h.task(task.id)).state === 'COMPLETED');
    const reviews = h.github.reviews.get(301) ?? [];
    expect(reviews.map((r) => r.state)).toEqual(['CHANGES_REQUESTED', 'APPROVED']);
    expect(reviews[0]?.comments).toEqual([
      { path: 'c.txt', line: 1, side: 'RIGHT', body: 'Add a note after this line.' },
    ]);
    expect(reviews[1]?.body).toContain('round seen');
    // Each verdict is also the `Factory review` check on the head it judged: red, then green.
    expect(h.github.reviewChecks.map((c) => [c.name, c.conclusion])).toEqual([
      ['Factory review', 'failure'],
      ['Factory review', 'success'],
    ]);
    expect(new Set(h.github.reviewChecks.map((c) => c.head_sha)).size).toBe(2);
    expect(h.reworks).toEqual([expect.objectContaining({ reason: 'changes-requested', round: 1 })]);
    expect(git(h.bare, 'show', 'main:c.txt')).toBe('blue\nnote\n');
  });

  it('notices a manual merge by a person and moves on to the next PR', async () => {
    const h = await start({
      worker: noRework,
      review: () => ({ verdict: 'APPROVE', summary: 'ok', comments: [] }),
    });
    const first = await h.addPullRequest(41, 401, { 'b.txt': 'alpha\nby hand\n' });
    h.github.personReview(401, 'carol', 'APPROVED');
    const second = await h.addPullRequest(42, 402, { 'c.txt': 'green\n' });
    // A person merges the first PR before the queue ever looks at it.
    h.github.mergeByPerson(401, 'carol');
    for (const task of [first, second]) await h.queue(task);
    await h.until('both done', async () => h.github.issues.get(1)?.state === 'closed');
    expect(h.github.merges.map((m) => m.pr)).toEqual([401, 402]);
    const firstEntry = (await h.entries()).find((e) => e.taskId === first.id);
    expect(firstEntry).toMatchObject({
      state: 'merged',
      lastStep: 'record-merged',
      lastStepReason: 'merged by hand by @carol',
    });
    // Only the second PR needed a review; the person's merge was not reviewed again.
    expect(h.agentRuns.filter((r) => r.purpose === 'review').map((r) => r.taskId)).toEqual([
      second.id,
    ]);
  });

  it('blocks the task with a comment when a person closes its PR without merging, and moves on', async () => {
    const h = await start({ worker: noRework });
    const first = await h.addPullRequest(51, 501, { 'b.txt': 'alpha\nclosed\n' });
    const second = await h.addPullRequest(52, 502, { 'c.txt': 'grey\n' });
    h.github.closeByPerson(501);
    for (const task of [first, second]) await h.queue(task);
    await h.until('second merged', async () => (await h.task(second.id)).state === 'COMPLETED');
    expect((await h.task(first.id)).state).toBe('BLOCKED');
    expect((await h.task(first.id)).blockedReason).toBe('PR #501 was closed without being merged');
    const comments = h.github.issues.get(51)?.comments ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('blocked');
    expect(h.github.issues.get(51)?.labels).toEqual(['factory:blocked']);
    expect((await h.epic()).state).toBe('IN_PROGRESS');
  });

  it('puts a reopened PR back in the queue: its blocked task returns to REVIEW, is brought up to date and lands once, however often the reopening is delivered', async () => {
    const h = await start({ worker: noRework });
    const first = await h.addPullRequest(71, 701, { 'b.txt': 'alpha\nreopened\n' });
    const second = await h.addPullRequest(72, 702, { 'c.txt': 'violet\n' });
    h.github.closeByPerson(701);
    for (const task of [first, second]) await h.queue(task);
    await h.until('second merged', async () => (await h.task(second.id)).state === 'COMPLETED');
    expect((await h.task(first.id)).state).toBe('BLOCKED');

    h.github.reopenByPerson(701);
    // Two deliveries of the reopening (a redelivery, or a second person's click): one re-entry.
    await h.reopened(701, 'reopen-1');
    await h.reopened(701, 'reopen-2');
    await h.until('reopened PR merged', async () => (await h.task(first.id)).state === 'COMPLETED');

    expect(h.github.merges.map((m) => m.pr)).toEqual([702, 701]);
    // The base had moved (702 landed): the app rebased 701 itself and it merged green on top.
    expect(h.reworks).toEqual([]);
    expect(git(h.bare, 'show', 'main:b.txt')).toBe('alpha\nreopened\n');
    expect(git(h.bare, 'show', 'main:c.txt')).toBe('violet\n');
    const entry = (await h.entries()).find((e) => e.taskId === first.id);
    expect(entry).toMatchObject({ state: 'merged', reworkRounds: 0 });
    expect((await h.task(first.id)).blockedReason).toBeNull();
    const reentries = await h.handle.db
      .select()
      .from(decisionLog)
      .where(eq(decisionLog.decision, 'merge-queue re-enter'));
    expect(reentries.map((d) => d.taskId)).toEqual([first.id]);
    expect(h.github.issues.get(71)?.labels).toEqual(['factory:done']);
    await h.until('epic closed out', async () => h.github.issues.get(1)?.state === 'closed');
  });

  it('reviews the PR waiting behind the head without waiting for it, and that review still counts after the app rebased the PR', async () => {
    const h = await start({ worker: noRework });
    const first = await h.addPullRequest(81, 801, { 'b.txt': 'alpha\nfirst\n' });
    const second = await h.addPullRequest(82, 802, { 'c.txt': 'amber\n' });
    const secondHead = h.github.headSha(h.github.pull(802));
    // The head is held (a draft): nothing ahead of the second PR moves until the test says so.
    h.github.pull(801).draft = true;
    for (const task of [first, second]) await h.queue(task);
    await h.until('the waiting PR reviewed', () => (h.github.reviews.get(802) ?? []).length === 1);
    expect(h.github.merges).toEqual([]);
    expect(h.github.reviews.get(801) ?? []).toEqual([]);

    h.github.pull(801).draft = false;
    await h.wake('ready-for-review');
    await h.until('both merged', async () => (await h.task(second.id)).state === 'COMPLETED');
    expect(h.github.merges.map((m) => m.pr)).toEqual([801, 802]);
    // Reviewed once, ahead of its turn, at the commit the worker pushed…
    const reviews = h.github.reviews.get(802) ?? [];
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ state: 'APPROVED', commit_id: secondHead });
    // …and merged as the app's clean rebase of it onto the first PR, with green checks.
    const merged = h.github.merges[1];
    expect(merged?.headSha).not.toBe(secondHead);
    // (The first PR's merge commit is main~1: the merged head was built on it.)
    expect(git(h.bare, 'merge-base', '--is-ancestor', 'main~1', merged?.headSha ?? '')).toBe('');
    expect(merged?.checks.every((c) => c.conclusion === 'success')).toBe(true);
    expect(h.agentRuns.filter((r) => r.purpose === 'review').map((r) => r.taskId)).toEqual([
      second.id,
      first.id,
    ]);
  });

  it('records the verdict when GitHub refuses an App approving its own PR (comment review with the verdict marker)', async () => {
    const h = await start({ worker: noRework, refuseOwnPullVerdicts: true });
    const task = await h.addPullRequest(61, 601, { 'c.txt': 'teal\n' });
    await h.queue(task);
    await h.until('merged', async () => (await h.task(task.id)).state === 'COMPLETED');
    const reviews = h.github.reviews.get(601) ?? [];
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ state: 'COMMENTED' });
    expect(reviews[0]?.body).toContain('factory:review verdict=APPROVE');
  });

  it('speculative CI: the second PR’s checks start on top of the first while the first’s run; three PRs land in order with one CI run each on what landed', async () => {
    let ciHeld = true;
    const h = await start({ worker: noRework, ciFinished: () => !ciHeld });
    const first = await h.addPullRequest(91, 901, { 'b.txt': 'alpha\nfirst\n' });
    const second = await h.addPullRequest(92, 902, { 'c.txt': 'cyan\n' });
    const third = await h.addPullRequest(93, 903, { 'a.txt': 'one\ntwo\nthree\nfour\n' });
    const firstHead = h.github.headSha(h.github.pull(901));
    const secondOwn = h.github.headSha(h.github.pull(902));
    for (const task of [first, second, third]) await h.queue(task);

    // The first PR's checks are running: the app builds the second on top of it.
    await h.until('the second PR built on the first', async () => {
      const entry = (await h.entries()).find((e) => e.taskId === second.id);
      return (
        entry?.speculatedOnSha === firstHead && h.github.headSha(h.github.pull(902)) !== secondOwn
      );
    });
    const speculated = h.github.headSha(h.github.pull(902));
    expect(git(h.bare, 'merge-base', '--is-ancestor', firstHead, speculated)).toBe('');
    await h.until('its CI started', () => h.github.ciStarts.some((c) => c.sha === speculated));
    expect(h.github.merges).toEqual([]);

    ciHeld = false;
    await h.wake('check-suite-completed');
    await h.until('all three merged', async () => (await h.task(third.id)).state === 'COMPLETED');

    expect(h.github.merges.map((m) => m.pr)).toEqual([901, 902, 903]);
    const [one, two, three] = h.github.merges;
    // The second landed as the very commit tested on top of the first, its CI started before the first merged…
    expect(two?.headSha).toBe(speculated);
    const started = h.github.ciStarts.find((c) => c.sha === speculated);
    expect(started?.seq).toBeLessThan(one?.seq ?? 0);
    // …and no CI ran on any commit of the second PR after the first merged.
    const secondShas = new Set([secondOwn, speculated]);
    expect(
      h.github.ciStarts.filter((c) => c.seq > (one?.seq ?? 0) && secondShas.has(c.sha)),
    ).toEqual([]);
    // One CI run per landed commit, all green.
    for (const merge of [one, two, three]) {
      expect(h.github.ciStarts.filter((c) => c.sha === merge?.headSha)).toHaveLength(1);
      expect(merge?.checks.every((c) => c.conclusion === 'success')).toBe(true);
    }
    // The base holds all three changes; the first's change came in once.
    expect(git(h.bare, 'show', 'main:b.txt')).toBe('alpha\nfirst\n');
    expect(git(h.bare, 'show', 'main:c.txt')).toBe('cyan\n');
    expect(git(h.bare, 'show', 'main:a.txt')).toBe('one\ntwo\nthree\nfour\n');
    expect(h.baseHistory()).toEqual([
      'Initial commit',
      'Merge PR #901',
      'Merge PR #902',
      'Merge PR #903',
    ]);
    expect(h.reworks).toEqual([]);
    // The approval of the second PR's own change still counted for the commit built on the first.
    expect(
      h.agentRuns.filter((r) => r.purpose === 'review' && r.taskId === second.id),
    ).toHaveLength(1);
  });

  it('speculative CI: when the PR ahead does not land (closed while its checks ran), the next PR drops its commits and lands only its own change', async () => {
    let ciHeld = true;
    const h = await start({ worker: noRework, ciFinished: () => !ciHeld });
    const first = await h.addPullRequest(94, 904, { 'b.txt': 'alpha\nnever lands\n' });
    const second = await h.addPullRequest(95, 905, { 'c.txt': 'magenta\n' });
    const firstHead = h.github.headSha(h.github.pull(904));
    const secondOwn = h.github.headSha(h.github.pull(905));
    for (const task of [first, second]) await h.queue(task);
    await h.until('the second PR built on the first', async () => {
      const entry = (await h.entries()).find((e) => e.taskId === second.id);
      return entry?.speculatedOnSha === firstHead;
    });
    const speculated = h.github.headSha(h.github.pull(905));
    expect(speculated).not.toBe(secondOwn);

    // The first PR fails: a person closes it while its checks run; then CI finishes.
    h.github.closeByPerson(904);
    ciHeld = false;
    await h.wake('closed-and-checks-done');
    await h.until('second merged', async () => (await h.task(second.id)).state === 'COMPLETED');

    expect((await h.task(first.id)).state).toBe('BLOCKED');
    expect(h.github.merges.map((m) => m.pr)).toEqual([905]);
    // It landed as its own commit, not the one carrying the first PR's commits.
    expect(h.github.merges[0]?.headSha).toBe(secondOwn);
    expect(git(h.bare, 'show', 'main:b.txt')).toBe('alpha\n');
    expect(git(h.bare, 'show', 'main:c.txt')).toBe('magenta\n');
    expect(() => git(h.bare, 'merge-base', '--is-ancestor', firstHead, 'main')).toThrow();
    const dropped = await h.handle.db
      .select()
      .from(decisionLog)
      .where(eq(decisionLog.decision, 'merge-queue drop-speculation'));
    expect(dropped.map((d) => d.taskId)).toEqual([second.id]);
    expect(h.reworks).toEqual([]);
  });

  it('speculative CI: when the PR ahead fails its checks and is sent back, the next PR (built on its failing commit) is never merged with it', async () => {
    let ciHeld = true;
    const h = await start({
      ciFinished: () => !ciHeld,
      ci: (sha, bare) => {
        const broken = git(bare, 'show', `${sha}:b.txt`).includes('BROKEN');
        return [{ name: 'test', conclusion: broken ? 'failure' : 'success', output: 'BROKEN' }];
      },
      worker: async ({ worktree, reason }) => {
        expect(reason).toBe('checks-failed');
        writeFileSync(path.join(worktree, 'b.txt'), 'alpha\nfixed\n');
        await commitAll(worktree, 'Fix the failing test');
      },
    });
    const first = await h.addPullRequest(96, 906, { 'b.txt': 'alpha\nBROKEN\n' });
    const second = await h.addPullRequest(97, 907, { 'c.txt': 'olive\n' });
    const firstHead = h.github.headSha(h.github.pull(906));
    const secondOwn = h.github.headSha(h.github.pull(907));
    for (const task of [first, second]) await h.queue(task);
    await h.until('the second PR built on the first', async () => {
      const entry = (await h.entries()).find((e) => e.taskId === second.id);
      return entry?.speculatedOnSha === firstHead;
    });
    const speculated = h.github.headSha(h.github.pull(907));

    ciHeld = false;
    await h.wake('checks-done');
    await h.until('both merged', async () => (await h.task(second.id)).state === 'COMPLETED');

    expect(h.reworks).toEqual([
      expect.objectContaining({ taskId: first.id, reason: 'checks-failed', round: 1 }),
    ]);
    expect(h.github.merges.map((m) => m.pr)).toEqual([906, 907]);
    const landed = h.github.merges[1]?.headSha ?? '';
    expect(landed).not.toBe(speculated);
    expect(() => git(h.bare, 'merge-base', '--is-ancestor', firstHead, landed)).toThrow();
    // Its own commit, rebuilt on the first PR's merge (not on the failing commit).
    expect(git(h.bare, 'rev-parse', `${landed}^`).trim()).toBe(h.github.pull(906).mergeCommitSha);
    expect(git(h.bare, 'diff', '--name-only', `${landed}^`, landed).trim()).toBe('c.txt');
    expect(landed).not.toBe(secondOwn);
    expect(h.github.merges.every((m) => m.checks.every((c) => c.conclusion === 'success'))).toBe(
      true,
    );
    expect(git(h.bare, 'show', 'main:b.txt')).toBe('alpha\nfixed\n');
    expect(git(h.bare, 'show', 'main:c.txt')).toBe('olive\n');
    const dropped = await h.handle.db
      .select()
      .from(decisionLog)
      .where(eq(decisionLog.decision, 'merge-queue drop-speculation'));
    expect(dropped.map((d) => d.taskId)).toEqual([second.id]);
  });
});
