import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubIssues } from '../../../src/agents/supervisor/createSubIssues.js';
import { planEpic } from '../../../src/agents/supervisor/planEpic.js';
import { implementTask } from '../../../src/agents/worker/implementTask.js';
import { listDecisions } from '../../../src/db/decisions.js';
import { getEpic, updateEpic } from '../../../src/db/epics.js';
import { tasks as taskTable } from '../../../src/db/schema.js';
import { getTask, listTasksOfEpic } from '../../../src/db/tasks.js';
import { FakeAgentRunner } from '../../support/flow/fakeAgentRunner.js';
import { createFlowHarness, waitFor, type FlowHarness } from '../../support/flow/flowHarness.js';
import { remoteBranches } from '../../support/git/localRemote.js';
import { eq } from 'drizzle-orm';

const onePlan = (key: string, title: string) => ({
  summary: 'One task.',
  tasks: [{ key, title, description: 'Do it.', acceptanceCriteria: ['done'], dependsOn: [] }],
});
const job = { id: 'job-under-test', attemptsMade: 0, opts: { attempts: 3 } };
const ref = { installationId: 1, owner: 'acme', repo: 'app' };

describe('a task whose tests keep failing', () => {
  let harness: FlowHarness;
  const agents = new FakeAgentRunner(onePlan('broken', 'Break the build'));

  beforeAll(async () => {
    harness = await createFlowHarness({
      agents,
      config: [
        'test: "echo assertion failed: expected 2, got 3 && exit 1"',
        'maxAttempts: 2',
        'maxTestRounds: 1',
      ].join('\n'),
    });
    harness.startWorkers();
  });
  afterAll(() => harness.close());

  it('gets its output for another round, is retried, then FAILED with a comment; its worktree stays', async () => {
    const epic = await harness.createEpic('Broken', 'This cannot pass.');
    await harness.deps.queues.enqueue(
      'plan-epic',
      { epicId: epic.id, ...ref },
      { jobId: `plan-${epic.id}` },
    );
    const task = await waitFor('the task to fail', async () => {
      const [row] = await listTasksOfEpic(harness.deps.db, epic.id);
      return row?.state === 'FAILED' && row;
    });
    // Two attempts of two rounds each: the agent saw the failing output in its second round.
    const runs = agents.workerRuns(task.id);
    expect(runs).toHaveLength(4);
    expect(runs[1]?.prompt).toContain('assertion failed: expected 2, got 3');
    expect(runs[1]?.resumeSessionId).toBe(`session-${task.id}`);
    expect(runs[2]?.prompt).toContain('This is attempt 2');
    expect(task.attempts).toBe(2);
    expect(task.failureReason).toMatch(/still failed after 1 round/);

    const comments = harness.github.commentsOn(task.issueNumber);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('Factory could not finish this task');
    expect(comments[0]?.body).toContain('assertion failed: expected 2, got 3');
    expect(comments[0]?.body).toContain('Tried 2 times (limit 2)');
    expect(harness.github.pulls()).toHaveLength(0);
    expect(task.worktreePath && existsSync(task.worktreePath)).toBe(true);
    const decisions = await listDecisions(harness.deps.db, { taskId: task.id });
    expect(decisions.filter((d) => d.decision.includes('failed'))).toHaveLength(2);
    await waitFor('the blocked label on the task', async () =>
      harness.github.issue(task.issueNumber).labels.includes('factory:blocked'),
    );
  });
});

describe('retries and crashes never duplicate work', () => {
  let harness: FlowHarness;
  const agents = new FakeAgentRunner(onePlan('resume', 'Resume after a crash'));

  beforeAll(async () => {
    harness = await createFlowHarness({ agents, config: 'test: "true"' });
  });
  afterAll(() => harness.close());

  it('a retried planning job reuses the plan and creates no duplicate sub-issue', async () => {
    const epic = await harness.createEpic('Idempotent', 'Once only.');
    expect(await planEpic(harness.flow, { epicId: epic.id, ...ref }, job)).toBe('planned');
    expect(await planEpic(harness.flow, { epicId: epic.id, ...ref }, job)).toBe('planned');
    expect(agents.requests.filter((r) => r.role === 'supervisor')).toHaveLength(1);

    expect(await createSubIssues(harness.flow, { epicId: epic.id, ...ref })).toBe('created');
    const issuesAfterFirst = harness.github.writes.filter((w) => w === 'POST issues').length;
    expect(issuesAfterFirst).toBe(1);
    // Retried as is, and retried after a crash that lost the Task row but not the issue.
    expect(await createSubIssues(harness.flow, { epicId: epic.id, ...ref })).toBe('created');
    const [task] = await listTasksOfEpic(harness.deps.db, epic.id);
    await harness.deps.db.delete(taskTable).where(eq(taskTable.id, task!.id));
    expect(await createSubIssues(harness.flow, { epicId: epic.id, ...ref })).toBe('created');
    expect(harness.github.writes.filter((w) => w === 'POST issues')).toHaveLength(1);
    expect(harness.github.writes.filter((w) => w.startsWith('POST sub_issue'))).toHaveLength(1);
    const [again] = await listTasksOfEpic(harness.deps.db, epic.id);
    expect(again?.issueNumber).toBe(task?.issueNumber);
    expect(harness.github.issue(epic.issueNumber).subIssues).toEqual([task?.issueNumber]);
  });

  it('a crash mid-run resumes the same attempt; a re-run after the PR opened finds it', async () => {
    const [epic] = await harness.deps.db.query.epics.findMany();
    const [claimed] = await listTasksOfEpic(harness.deps.db, epic!.id);
    // The dispatcher claimed it when the sub-issues were created.
    expect(claimed?.state).toBe('ASSIGNED');
    const payload = { taskId: claimed!.id, ...ref, attempt: claimed!.attempts };

    agents.failNext = true;
    await expect(implementTask(harness.flow, payload, job)).rejects.toThrow(/engine crashed/);
    expect((await getTask(harness.deps.db, claimed!.id)).state).toBe('IN_PROGRESS');

    expect(await implementTask(harness.flow, payload, { ...job, attemptsMade: 1 })).toBe('review');
    const opened = await getTask(harness.deps.db, claimed!.id);
    expect(opened.attempts).toBe(1);

    // A crash after the PR was opened but before the task was recorded in REVIEW.
    await harness.deps.db
      .update(taskTable)
      .set({ state: 'IN_PROGRESS' })
      .where(eq(taskTable.id, opened.id));
    expect(await implementTask(harness.flow, payload, { ...job, attemptsMade: 2 })).toBe('review');
    expect(harness.github.pulls()).toHaveLength(1);
    expect(harness.github.writes.filter((w) => w.startsWith('POST pull'))).toHaveLength(1);
    expect(remoteBranches(harness.bare).filter((b) => b.startsWith('factory/'))).toEqual([
      opened.branch,
    ]);

    // Another job for the same attempt (a retry after Redis failed at the hand-over) only
    // makes sure the merge queue has the PR: nothing new on GitHub, the attempt unchanged.
    expect(await implementTask(harness.flow, payload, job)).toBe('review');
    expect(harness.github.writes.filter((w) => w.startsWith('POST pull'))).toHaveLength(1);
    expect(await getTask(harness.deps.db, opened.id)).toMatchObject({
      state: 'REVIEW',
      attempts: 1,
    });
    // A job of another attempt still does nothing.
    expect(await implementTask(harness.flow, { ...payload, attempt: 2 }, job)).toBe('stale');
  });

  it('waits for plan approval when the repository asks for it', async () => {
    const epic = await harness.createEpic('Needs approval', 'Ask first.');
    harness.github.config = 'test: "true"\nplanApproval: true';
    expect(await planEpic(harness.flow, { epicId: epic.id, ...ref }, job)).toBe(
      'awaiting-approval',
    );
    expect(await createSubIssues(harness.flow, { epicId: epic.id, ...ref })).toBe(
      'awaiting-approval',
    );
    const plan = harness.github
      .commentsOn(epic.issueNumber)
      .find((c) => c.body.includes('factory:plan'));
    expect(plan?.body).toContain('/factory approve');
    expect((await getEpic(harness.deps.db, epic.id)).state).toBe('PLANNING');
    await updateEpic(harness.deps.db, epic.id, {
      planApprovedAt: new Date(),
      planApprovedBy: 'maintainer',
    });
    expect(await createSubIssues(harness.flow, { epicId: epic.id, ...ref })).toBe('created');
    expect((await getEpic(harness.deps.db, epic.id)).state).toBe('IN_PROGRESS');
    harness.github.config = 'test: "true"';
  });
});
