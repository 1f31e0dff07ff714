import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { orchestratorDeps } from '../../../../src/agents/orchestrator/orchestratorDeps.js';
import { runReconcile } from '../../../../src/agents/orchestrator/reconcile/reconcilePass.js';
import { parseEnv } from '../../../../src/config/env.js';
import { defaultRepoConfig } from '../../../../src/config/repoConfig.js';
import { decisionLog } from '../../../../src/db/schema.js';
import { enterMergeQueue } from '../../../../src/mergeQueue/entries.js';
import { testOctokit, useNock } from '../../../support/github.js';
import { botLogin, QueueHarness } from '../../../support/mergeQueue/harness.js';

/**
 * Issue 8, point 7: a `pull_request.closed` that never arrived. People merged
 * one PR and closed another by hand while the epic's queue sat idle, and both
 * webhooks were lost. A reconciliation pass must wake the real merge queue
 * (BullMQ workers, real git, GitHub as a stateful fake) the way the webhook
 * would, so the queue itself records the merge, blocks the closed PR's task
 * with its comment and moves on to the next PR — and further passes find
 * nothing left to do.
 */

let harness: QueueHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('reconciliation of a missed pull_request.closed', { timeout: 180_000 }, () => {
  it('wakes the merge queue, which records the merge, blocks the closed PR and lands the next; a second pass changes nothing', async () => {
    useNock();
    const h = new QueueHarness({
      files: { 'a.txt': 'one\n', 'b.txt': 'two\n', 'c.txt': 'three\n' },
      worker: () => Promise.reject(new Error('no rework expected')),
    });
    harness = h;
    await h.start();
    const closed = await h.addPullRequest(51, 501, { 'a.txt': 'one, closed\n' });
    const merged = await h.addPullRequest(52, 502, { 'b.txt': 'two, merged by hand\n' });
    const next = await h.addPullRequest(53, 503, { 'c.txt': 'three, landed by the queue\n' });
    h.github.issues.get(1)?.labels.push('factory:epic', 'factory:in-progress');
    h.github.subIssues.set(1, [51, 52, 53]);
    // In the queue's records, but the queue is idle: nothing woke it since.
    for (const task of [closed, merged, next]) {
      await enterMergeQueue(h.handle.db, {
        epicId: h.epicId,
        taskId: task.id,
        prNumber: task.prNumber ?? 0,
      });
    }
    // People act on GitHub; their webhooks are lost.
    h.github.closeByPerson(501);
    h.github.mergeByPerson(502, 'carol');

    const deps = orchestratorDeps(
      {
        env: parseEnv({ NODE_ENV: 'test', REDIS_PREFIX: h.prefix }),
        db: h.handle.db,
        queues: h.queues,
        log: pino({ level: 'silent' }),
        agents: { run: () => never(), runStructured: () => never() },
        github: {
          forInstallation: () => Promise.resolve(testOctokit()),
          installationToken: () => Promise.resolve('unused'),
          botLogin: () => Promise.resolve(botLogin),
        },
      },
      { repoConfigs: () => Promise.resolve(defaultRepoConfig) },
    );
    const first = await runReconcile(deps, { epicId: h.epicId, passKey: 'r1' });
    expect(first.repairs.map((r) => r.repair)).toEqual([
      expect.objectContaining({ kind: 'pr-closed', prNumber: 501, merged: false }),
      expect.objectContaining({ kind: 'pr-closed', prNumber: 502, merged: true }),
    ]);

    // The queue, woken, does what it does on the webhook.
    await h.until('the next PR landed', async () => (await h.task(next.id)).state === 'COMPLETED');
    expect(await h.task(closed.id)).toMatchObject({
      state: 'BLOCKED',
      blockedReason: 'PR #501 was closed without being merged',
    });
    expect(await h.task(merged.id)).toMatchObject({ state: 'COMPLETED' });
    const entries = await h.entries();
    expect(entries.find((e) => e.prNumber === 502)).toMatchObject({
      state: 'merged',
      lastStep: 'record-merged',
      lastStepReason: 'merged by hand by @carol',
    });
    expect(h.github.merges.map((m) => m.pr)).toEqual([502, 503]);
    const blockedComments = () => h.github.issues.get(51)?.comments ?? [];
    expect(blockedComments()).toHaveLength(1);
    expect(blockedComments()[0]?.body).toContain('blocked');
    // The blocked task keeps the epic open.
    expect((await h.epic()).state).toBe('IN_PROGRESS');

    await h.until('the queue at rest', async () => (await queueBusy(h)) === 0);
    // Passes after the queue ran find GitHub and the records in agreement.
    const snapshot = async () => ({
      tasks: await Promise.all([closed, merged, next].map(async (t) => (await h.task(t.id)).state)),
      entries: (await h.entries()).map((e) => [e.prNumber, e.state]),
      decisions: (await h.handle.db.select().from(decisionLog)).length,
      jobs: (await h.queues.queue('merge-queue').getJobCounts('completed', 'waiting', 'delayed'))
        .completed,
      comments: [51, 52, 53].map((n) => h.github.issues.get(n)?.comments.length),
    });
    const before = await snapshot();
    for (const passKey of ['r2', 'r3']) {
      const again = await runReconcile(deps, { epicId: h.epicId, passKey });
      expect(again.repairs).toEqual([]);
    }
    expect(await queueBusy(h)).toBe(0);
    expect(await snapshot()).toEqual(before);
  });
});

/** Merge-queue jobs still to run. */
async function queueBusy(h: QueueHarness): Promise<number> {
  const counts = await h.queues
    .queue('merge-queue')
    .getJobCounts('waiting', 'delayed', 'active', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function never(): Promise<never> {
  return Promise.reject(new Error('no agent runs in reconciliation'));
}
