import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAgent,
  listSilentAgents,
  recordHeartbeat,
  transitionAgent,
} from '../../../src/db/agents.js';
import type { DatabaseHandle } from '../../../src/db/connection.js';
import { listDecisions, recordDecision } from '../../../src/db/decisions.js';
import {
  findEpicByIssueId,
  getEpic,
  listEpics,
  transitionEpic,
  updateEpic,
  upsertEpicFromIssue,
  type EpicIssue,
} from '../../../src/db/epics.js';
import { StaleStateError } from '../../../src/db/staleState.js';
import {
  findTaskByPullRequest,
  listTasksOfEpic,
  transitionTask,
  upsertTaskFromIssue,
} from '../../../src/db/tasks.js';
import { epicCost, recordUsage, taskCost, taskCostsOfEpic } from '../../../src/db/usage.js';
import { IllegalTransitionError } from '../../../src/domain/stateMachine.js';
import { createTestDatabase, databaseKinds } from '../../support/database.js';

let nextIssue = 1;
function epicIssue(overrides: Partial<EpicIssue> = {}): EpicIssue {
  const number = nextIssue++;
  return {
    installationId: 9_000_000_001,
    repoId: 8_000_000_001,
    repoOwner: 'acme',
    repoName: 'shop',
    issueNumber: number,
    issueId: 7_000_000_000 + number,
    title: `Epic ${number}`,
    body: 'Make it so',
    ...overrides,
  };
}

describe.each(databaseKinds)('records on %s', (kind) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await handle?.close();
  });

  describe('epics', () => {
    it('creates an epic in PLANNING once per issue; a second upsert returns it unchanged', async () => {
      const issue = epicIssue();
      const first = await upsertEpicFromIssue(handle.db, issue);
      expect(first.created).toBe(true);
      expect(first.epic).toMatchObject({
        state: 'PLANNING',
        title: issue.title,
        body: 'Make it so',
      });
      const second = await upsertEpicFromIssue(handle.db, { ...issue, title: 'renamed' });
      expect(second).toEqual({ epic: first.epic, created: false });
      expect(await findEpicByIssueId(handle.db, issue.issueId)).toEqual(first.epic);
    });

    it('creates one row when the same issue is upserted concurrently', async () => {
      const issue = epicIssue();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => upsertEpicFromIssue(handle.db, issue)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.epic.id)).size).toBe(1);
    });

    it('moves only along the state machine, keeping the blocked reason', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue());
      const blocked = await transitionEpic(handle.db, epic.id, 'BLOCKED', { reason: 'bad config' });
      expect(blocked).toMatchObject({ state: 'BLOCKED', blockedReason: 'bad config' });
      const resumed = await transitionEpic(handle.db, epic.id, 'PLANNING');
      expect(resumed).toMatchObject({ state: 'PLANNING', blockedReason: null });
      await expect(transitionEpic(handle.db, epic.id, 'COMPLETED')).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
      expect((await getEpic(handle.db, epic.id)).state).toBe('PLANNING');
      const cancelled = await transitionEpic(handle.db, epic.id, 'CANCELLED', {
        reason: 'label removed',
      });
      expect(cancelled.completedAt).toBeInstanceOf(Date);
    });

    it('refuses a move from a state the row is no longer in', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue());
      await transitionEpic(handle.db, epic.id, 'IN_PROGRESS');
      const stale = transitionEpic(handle.db, epic.id, 'BLOCKED', { from: 'PLANNING' });
      await expect(stale).rejects.toBeInstanceOf(StaleStateError);
      await expect(stale).rejects.toThrow(/is IN_PROGRESS, not PLANNING/);
    });

    it('lets exactly one of two racing processes make the same move', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue());
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, () => transitionEpic(handle.db, epic.id, 'IN_PROGRESS')),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          // Either the guarded UPDATE lost, or it read the new state and the machine refused.
          expect(
            outcome.reason instanceof StaleStateError ||
              outcome.reason instanceof IllegalTransitionError,
          ).toBe(true);
        }
      }
    });

    it('updates plain fields and lists by state and repository', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue({ repoId: 42 }));
      const updated = await updateEpic(handle.db, epic.id, { progressCommentId: 123456789012 });
      expect(updated.progressCommentId).toBe(123456789012);
      const listed = await listEpics(handle.db, { repoId: 42, states: ['PLANNING'] });
      expect(listed.map((e) => e.id)).toEqual([epic.id]);
    });
  });

  describe('tasks', () => {
    it('creates a task PENDING once per sub-issue and lists them in plan order', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue());
      const b = await upsertTaskFromIssue(handle.db, {
        epicId: epic.id,
        issueNumber: 501,
        issueId: 1501,
        title: 'second',
        position: 2,
      });
      const a = await upsertTaskFromIssue(handle.db, {
        epicId: epic.id,
        issueNumber: 500,
        issueId: 1500,
        title: 'first',
        position: 1,
        acceptanceCriteria: ['it works'],
      });
      expect(a.task).toMatchObject({ state: 'PENDING', acceptanceCriteria: ['it works'] });
      const again = await upsertTaskFromIssue(handle.db, {
        epicId: epic.id,
        issueNumber: 500,
        issueId: 1500,
        title: 'first, retried',
      });
      expect(again).toEqual({ task: a.task, created: false });
      const listed = await listTasksOfEpic(handle.db, epic.id);
      expect(listed.map((t) => t.id)).toEqual([a.task.id, b.task.id]);
    });

    it('walks the happy path with guarded writes and patches', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue({ repoId: 77 }));
      const { task } = await upsertTaskFromIssue(handle.db, {
        epicId: epic.id,
        issueNumber: 600,
        issueId: 1600,
        title: 't',
      });
      await transitionTask(handle.db, task.id, 'ASSIGNED', { patch: { attempts: 1 } });
      await transitionTask(handle.db, task.id, 'IN_PROGRESS', { from: 'ASSIGNED' });
      const inReview = await transitionTask(handle.db, task.id, 'REVIEW', {
        patch: { prNumber: 31, branch: 'factory/1-600-t' },
      });
      expect(inReview).toMatchObject({ state: 'REVIEW', prNumber: 31, attempts: 1 });
      expect((await findTaskByPullRequest(handle.db, 77, 31))?.id).toBe(task.id);
      expect(await findTaskByPullRequest(handle.db, 78, 31)).toBeUndefined();
      const done = await transitionTask(handle.db, task.id, 'COMPLETED');
      expect(done.completedAt).toBeInstanceOf(Date);
      await expect(transitionTask(handle.db, task.id, 'PENDING')).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
    });

    it('keeps the failure reason and refuses stale moves', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue());
      const { task } = await upsertTaskFromIssue(handle.db, {
        epicId: epic.id,
        issueNumber: 700,
        issueId: 1700,
        title: 't',
      });
      await transitionTask(handle.db, task.id, 'ASSIGNED');
      const failed = await transitionTask(handle.db, task.id, 'FAILED', {
        reason: 'tests never passed',
      });
      expect(failed.failureReason).toBe('tests never passed');
      await expect(
        transitionTask(handle.db, task.id, 'PENDING', { from: ['ASSIGNED', 'IN_PROGRESS'] }),
      ).rejects.toBeInstanceOf(StaleStateError);
    });
  });

  describe('agents, decisions and usage', () => {
    it('moves agents along their machine and finds the silent ones', async () => {
      const agent = await createAgent(handle.db, { kind: 'worker', installationId: 1 });
      expect(agent.state).toBe('IDLE');
      await transitionAgent(handle.db, agent.id, 'BUSY');
      const longAgo = new Date(Date.now() - 3_600_000);
      await recordHeartbeat(handle.db, agent.id, longAgo);
      const silent = await listSilentAgents(handle.db, new Date(Date.now() - 60_000));
      expect(silent.map((a) => a.id)).toContain(agent.id);
      const failed = await transitionAgent(handle.db, agent.id, 'FAILED', {
        reason: 'no heartbeat',
      });
      expect(failed.failureReason).toBe('no heartbeat');
      await expect(transitionAgent(handle.db, agent.id, 'IDLE')).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
    });

    it('records decisions and lists the newest first', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue());
      await recordDecision(handle.db, { epicId: epic.id, decision: 'plan', reasoning: 'r1' });
      await recordDecision(handle.db, {
        epicId: epic.id,
        decision: 'merge #3',
        context: { pr: 3 },
      });
      const listed = await listDecisions(handle.db, { epicId: epic.id });
      expect(listed.map((d) => d.decision)).toEqual(['merge #3', 'plan']);
      expect(listed[0]?.context).toEqual({ pr: 3 });
    });

    it('rolls model usage up per task and per epic', async () => {
      const { epic } = await upsertEpicFromIssue(handle.db, epicIssue());
      const { task } = await upsertTaskFromIssue(handle.db, {
        epicId: epic.id,
        issueNumber: 800,
        issueId: 1800,
        title: 't',
      });
      expect(await epicCost(handle.db, epic.id)).toMatchObject({ costUsd: 0, calls: 0 });
      const base = { model: 'claude', epicId: epic.id };
      await recordUsage(handle.db, { ...base, inputTokens: 1000, outputTokens: 10, costUsd: 0.5 });
      await recordUsage(handle.db, {
        ...base,
        taskId: task.id,
        inputTokens: 2_000_000_000,
        cacheReadTokens: 5,
        costUsd: 1.25,
      });
      await recordUsage(handle.db, { ...base, taskId: task.id, outputTokens: 7, costUsd: 0.25 });
      expect(await epicCost(handle.db, epic.id)).toEqual({
        inputTokens: 2_000_001_000,
        outputTokens: 17,
        cacheReadTokens: 5,
        cacheCreationTokens: 0,
        totalTokens: 2_000_001_022,
        costUsd: 2,
        calls: 3,
      });
      expect(await taskCost(handle.db, task.id)).toMatchObject({ costUsd: 1.5, calls: 2 });
      const perTask = await taskCostsOfEpic(handle.db, epic.id);
      expect([...perTask.keys()]).toEqual([task.id]);
      expect(perTask.get(task.id)?.outputTokens).toBe(7);
    });
  });
});
