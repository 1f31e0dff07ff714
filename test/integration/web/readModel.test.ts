import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/db/connection.js';
import { tasks } from '../../../src/db/schema.js';
import { gitHubLinks } from '../../../src/web/links.js';
import type { QueueHealthReader } from '../../../src/web/queueHealth.js';
import { readAgentDetail } from '../../../src/web/readModel/agentDetail.js';
import { readEpicDetail } from '../../../src/web/readModel/epicDetail.js';
import { readOverview } from '../../../src/web/readModel/overview.js';
import type { ReadContext } from '../../../src/web/readModel/shared.js';
import { createTestDatabase, databaseKinds } from '../../support/database.js';
import { hostileTitle, seedStatusPage, type StatusPageSeed } from '../../support/statusPageSeed.js';

const queueHealth: QueueHealthReader = async () => ({ available: true, queues: [] });

describe.each(databaseKinds)('status page read models on %s', (kind) => {
  let handle: DatabaseHandle;
  let ctx: ReadContext;
  let seed: StatusPageSeed;

  beforeAll(async () => {
    handle = await createTestDatabase(kind);
    ctx = { db: handle.db, links: gitHubLinks('https://github.com') };
    seed = await seedStatusPage(handle.db);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('overview: active epics first, with progress, cost and escalations', async () => {
    const overview = await readOverview(ctx, queueHealth);
    expect(overview.epics.map((e) => e.state)).toEqual(['PLANNING', 'IN_PROGRESS', 'COMPLETED']);
    const darkMode = overview.epics.find((e) => e.id === seed.epics.darkMode.id);
    expect(darkMode).toMatchObject({
      issueUrl: 'https://github.com/acme/widgets/issues/10',
      tasks: {
        total: 4,
        completed: 1,
        byState: { COMPLETED: 1, REVIEW: 1, IN_PROGRESS: 1, PENDING: 1 },
      },
      openEscalations: 1,
    });
    expect(darkMode?.costUsd).toBeCloseTo(1.557, 6);
    expect(overview.epics.find((e) => e.id === seed.epics.hostile.id)?.title).toBe(hostileTitle);
  });

  it('overview: agents by state, the working ones with their task, totals', async () => {
    const overview = await readOverview(ctx, queueHealth);
    expect(overview.agents.counts).toEqual({ IDLE: 1, BUSY: 2, WAITING: 1, FAILED: 1 });
    expect(overview.agents.working.map((a) => a.id).sort()).toEqual(
      [
        seed.agents.supervisor.id,
        seed.agents.busyWorker.id,
        seed.agents.reviewWorker.id,
        seed.agents.failedWorker.id,
      ].sort(),
    );
    const busy = overview.agents.working.find((a) => a.id === seed.agents.busyWorker.id);
    expect(busy?.task).toMatchObject({
      issueNumber: 14,
      issueUrl: 'https://github.com/acme/widgets/issues/14',
    });
    expect(overview.usage).toMatchObject({
      inputTokens: 96_000,
      outputTokens: 17_500,
      cacheReadTokens: 20_000,
    });
    expect(overview.recent.length).toBeGreaterThan(0);
    expect(overview.recent[0]?.at).toBe('2026-11-26T09:45:00.000Z');
  });

  it('never carries a token: failure reasons are redacted', async () => {
    const overview = await readOverview(ctx, queueHealth);
    const failed = overview.agents.working.find((a) => a.id === seed.agents.failedWorker.id);
    expect(failed?.failureReason).toBe(
      'push failed: https://[redacted]@github.com/acme/widgets.git',
    );
    expect(JSON.stringify(overview)).not.toMatch(/ghs_/);
  });

  it('epic: tasks in order with PR links, costs and dependencies as issue numbers', async () => {
    const detail = await readEpicDetail(ctx, seed.epics.darkMode.id);
    expect(detail?.tasks.map((t) => [t.issueNumber, t.state, t.prUrl])).toEqual([
      [12, 'COMPLETED', 'https://github.com/acme/widgets/pull/20'],
      [13, 'REVIEW', 'https://github.com/acme/widgets/pull/21'],
      [14, 'IN_PROGRESS', null],
      [15, 'PENDING', null],
    ]);
    expect(detail?.tasks[3]?.dependsOn).toEqual([12, 13]);
    expect(detail?.tasks[1]?.agent).toMatchObject({
      id: seed.agents.reviewWorker.id,
      state: 'WAITING',
    });
    expect(detail?.tasks[2]?.costUsd).toBeCloseTo(0.276, 6);
  });

  it('epic: the PR queue puts queued entries first, then merged ones', async () => {
    const detail = await readEpicDetail(ctx, seed.epics.darkMode.id);
    expect(detail?.mergeQueue.map((e) => [e.prNumber, e.state])).toEqual([
      [21, 'queued'],
      [20, 'merged'],
    ]);
    expect(detail?.escalations).toHaveLength(1);
    expect(detail?.agents.map((a) => a.id).sort()).toEqual(
      [seed.agents.supervisor.id, seed.agents.busyWorker.id, seed.agents.reviewWorker.id].sort(),
    );
  });

  it('epic: the timeline interleaves decisions and mail, newest first, only this epic', async () => {
    const detail = await readEpicDetail(ctx, seed.epics.darkMode.id);
    expect(detail?.timeline.map((i) => `${i.kind}:${i.at.slice(11, 16)}`)).toEqual([
      'mail:09:45',
      'decision:09:30',
      'mail:09:02',
      'decision:09:01',
    ]);
    const hostile = await readEpicDetail(ctx, seed.epics.hostile.id);
    const mail = hostile?.timeline.find((i) => i.kind === 'mail');
    // A stored javascript: URL is dropped rather than linked.
    expect(mail && mail.kind === 'mail' ? mail.commentUrl : 'missing').toBeNull();
  });

  it('epic and agent: unknown ids read as null', async () => {
    expect(await readEpicDetail(ctx, 999_999)).toBeNull();
    expect(await readAgentDetail(ctx, 999_999)).toBeNull();
  });

  it('agent: current work, runs newest first with cost, usage by model, no prompt', async () => {
    const detail = await readAgentDetail(ctx, seed.agents.busyWorker.id);
    expect(detail?.agent.task?.issueNumber).toBe(14);
    expect(detail?.runs.map((r) => r.status)).toEqual(['running', 'failed']);
    expect(detail?.runs[1]?.costUsd).toBeCloseTo(0.27, 6);
    expect(detail?.usage.byModel.map((m) => [m.model, m.calls])).toEqual([
      ['claude-sonnet-4-5', 1],
      ['claude-haiku-4-5', 1],
    ]);
    expect(detail?.usage.total.inputTokens).toBe(54_000);
    expect(JSON.stringify(detail)).not.toContain('SECRET-PROMPT-TEXT');
  });

  it('reflects a state change on the next read', async () => {
    await handle.db
      .update(tasks)
      .set({ state: 'COMPLETED' })
      .where(eq(tasks.id, seed.tasks.inReview.id));
    const detail = await readEpicDetail(ctx, seed.epics.darkMode.id);
    expect(detail?.epic.tasks.completed).toBe(2);
    await handle.db
      .update(tasks)
      .set({ state: 'REVIEW' })
      .where(eq(tasks.id, seed.tasks.inReview.id));
  });
});
