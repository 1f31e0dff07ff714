import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDecisions } from '../../../src/db/decisions.js';
import { getEpic } from '../../../src/db/epics.js';
import { mergeQueueEntries } from '../../../src/db/schema.js';
import { listTasksOfEpic } from '../../../src/db/tasks.js';
import { FakeAgentRunner } from '../../support/flow/fakeAgentRunner.js';
import {
  createFlowHarness,
  flowToken,
  waitFor,
  type FlowHarness,
} from '../../support/flow/flowHarness.js';
import { commitAuthor, fileAt, remoteBranches } from '../../support/git/localRemote.js';

const plan = {
  summary: 'Two independent changes.',
  tasks: [
    {
      key: 'greeting',
      title: 'Add a greeting',
      description: 'Write the greeting file.',
      acceptanceCriteria: ['the file exists'],
      dependsOn: [],
    },
    {
      key: 'farewell',
      title: 'Add a farewell',
      description: 'Write the farewell file.',
      acceptanceCriteria: ['the file exists'],
      dependsOn: [],
    },
  ],
};

function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...filesContaining(full, needle));
    else if (readFileSync(full).includes(needle)) found.push(full);
  }
  return found;
}

describe('an epic of two tasks becomes two sub-issues, two branches and two PRs', () => {
  let harness: FlowHarness;
  const agents = new FakeAgentRunner(plan);

  beforeAll(async () => {
    harness = await createFlowHarness({
      agents,
      config: ['setup: "true"', 'test: "ls task-*.txt"', 'maxParallelTasks: 1'].join('\n'),
    });
    harness.startWorkers();
  });
  afterAll(() => harness.close());

  it('plans, creates the sub-issues, implements each task and opens its PR', async () => {
    const epic = await harness.createEpic('Say hello and goodbye', 'Two files, please.');
    await harness.deps.queues.enqueue(
      'plan-epic',
      { epicId: epic.id, installationId: 1, owner: 'acme', repo: 'app' },
      { jobId: `plan-epic-${epic.id}` },
    );

    const tasks = await waitFor('both tasks in review', async () => {
      const rows = await listTasksOfEpic(harness.deps.db, epic.id);
      return rows.length === 2 && rows.every((task) => task.state === 'REVIEW') && rows;
    });

    // Sub-issues: real issues, added under the epic, one per planned task.
    const epicIssue = harness.github.issue(epic.issueNumber);
    expect(epicIssue.subIssues).toEqual(tasks.map((task) => task.issueNumber));
    expect(tasks.map((task) => task.title)).toEqual(['Add a greeting', 'Add a farewell']);

    // Branches on the remote, each with the agent's change committed as the bot.
    for (const task of tasks) {
      expect(task.branch).toMatch(
        new RegExp(`^factory/${epic.issueNumber}-${task.issueNumber}-add-a-`),
      );
      expect(remoteBranches(harness.bare)).toContain(task.branch);
      expect(fileAt(harness.bare, task.branch!, `task-${task.id}.txt`)).toBe('work of round 1\n');
      expect(commitAuthor(harness.bare, task.branch!)).toBe(
        'factory-app[bot] <4242+factory-app[bot]@users.noreply.github.com>',
      );
    }

    // One PR per task, saying what the product promises.
    const pulls = harness.github.pulls();
    expect(pulls).toHaveLength(2);
    for (const task of tasks) {
      const pull = pulls.find((p) => p.pull?.head === task.branch);
      expect(pull?.number).toBe(task.prNumber);
      expect(pull?.body).toContain(`Closes #${task.issueNumber}`);
      expect(pull?.body).toContain(`Part of #${epic.issueNumber}`);
      expect(pull?.body).toContain('`ls task-*.txt` (test) — passed');
      expect(pull?.body).toContain('**Cost:** $0.00');
    }

    // The merge queue holds both, in the order they reached review.
    const entries = await harness.deps.db
      .select()
      .from(mergeQueueEntries)
      .where(eq(mergeQueueEntries.epicId, epic.id));
    expect(new Set(entries.map((e) => e.position)).size).toBe(2);
    expect(entries.map((e) => e.state)).toEqual(['queued', 'queued']);

    // Per-epic limit of 1: the two workers never ran at once.
    expect(agents.maxRunning).toBe(1);

    // The plan was recorded and posted once.
    expect((await getEpic(harness.deps.db, epic.id)).state).toBe('IN_PROGRESS');
    const decisions = await listDecisions(harness.deps.db, { epicId: epic.id });
    expect(decisions.some((d) => d.decision.startsWith('planned epic'))).toBe(true);
    const planComments = harness.github
      .commentsOn(epic.issueNumber)
      .filter((c) => c.body.includes('factory:plan'));
    expect(planComments).toHaveLength(1);
    expect(planComments[0]?.body).toContain('Add a greeting');
  });

  it('keeps one progress comment, edited in place, and labels that mirror the states', async () => {
    const [epic] = await harness.deps.db.query.epics.findMany();
    const tasks = await listTasksOfEpic(harness.deps.db, epic!.id);
    const progress = await waitFor('the progress comment to show both PRs', async () => {
      const comments = harness.github
        .commentsOn(epic!.issueNumber)
        .filter((c) => c.body.includes('factory:progress'));
      return (
        comments.length === 1 &&
        tasks.every((t) => comments[0]!.body.includes(`PR #${t.prNumber}`)) &&
        comments
      );
    });
    expect(progress[0]?.body).toContain('**Epic:** in progress');
    expect(progress[0]?.body).toContain('in review');
    expect(
      harness.github.writes.filter((w) => w === `POST comment #${epic!.issueNumber}`),
    ).toHaveLength(2); // plan + progress
    await waitFor(
      'labels',
      async () =>
        harness.github.issue(epic!.issueNumber).labels.includes('factory:in-progress') &&
        tasks.every((t) => harness.github.issue(t.issueNumber).labels.includes('factory:review')),
    );
  });

  it('never lets the push token reach disk, a remote URL or the agent', async () => {
    expect(harness.gitServer.authorizations.some((a) => a.startsWith('Basic '))).toBe(true);
    expect(filesContaining(harness.worktreeRoot, flowToken)).toEqual([]);
    expect(
      filesContaining(
        harness.worktreeRoot,
        Buffer.from(`x-access-token:${flowToken}`).toString('base64'),
      ),
    ).toEqual([]);
    for (const request of agents.requests) {
      expect(JSON.stringify(request)).not.toContain(flowToken);
    }
  });
});
