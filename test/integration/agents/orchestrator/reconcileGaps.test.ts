import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile } from '../../../../src/agents/orchestrator/reconcile/reconcilePass.js';
import { closedWithoutMergeReason } from '../../../../src/domain/closedPullRequest.js';
import {
  decisionLog,
  mergeQueueEntries,
  tasks,
  type Epic,
  type Task,
} from '../../../../src/db/schema.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../../support/githubEmulator/index.js';
import type { RepoRecord } from '../../../support/githubEmulator/records.js';
import { TestProbotOctokit } from '../../../support/probotOctokit.js';
import { createOrchestratorHarness, type OrchestratorHarness } from './harness.js';

/**
 * What GitHub could not deliver at all (the app down, or the delivery lost):
 * on the GitHub emulator, with no webhook URL so every delivery is dropped,
 * people change things and CI reports; one reconciliation pass finds each
 * change, repairs it the way the webhook would have, and records why. A second
 * pass, once the repair took effect, finds nothing.
 */

const sampleRepo = fileURLToPath(new URL('../../../fixtures/sample-repo', import.meta.url));

let emulator: GitHubEmulator;
let repo: RepoRecord;
let h: OrchestratorHarness;
let octokit: InstanceType<typeof TestProbotOctokit>;
let branchCounter = 0;

beforeAll(async () => {
  emulator = await startGitHubEmulator();
  emulator.setWebhookUrl(undefined);
  repo = await emulator.addRepo('textkit', sampleRepo);
  octokit = new TestProbotOctokit({
    auth: { token: emulator.installationToken() },
    baseUrl: emulator.url,
  });
  h = await createOrchestratorHarness(
    {},
    {
      forInstallation: () => Promise.resolve(octokit),
      installationToken: () => Promise.resolve(emulator.installationToken()),
      botLogin: () => Promise.resolve(emulator.app.botLogin),
    },
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
  await emulator?.close();
});

const maintainer = () => emulator.person(repo);
const gh = () => ({ owner: repo.owner.login, repo: repo.name });

/** An epic on GitHub (labelled, one sub-issue) and in the records, as after planning. */
async function seedEpic(): Promise<{ epic: Epic; taskIssue: { number: number; id: number } }> {
  const { data: epicIssue } = await octokit.rest.issues.create({
    ...gh(),
    title: 'Epic',
    labels: ['factory:epic', 'factory:in-progress'],
  });
  const { data: taskIssue } = await octokit.rest.issues.create({ ...gh(), title: 'A task' });
  await octokit.rest.issues.addSubIssue({
    ...gh(),
    issue_number: epicIssue.number,
    sub_issue_id: taskIssue.id,
  });
  const epic = await h.seedEpic({
    installationId: emulator.app.installationId,
    repoId: repo.id,
    repoOwner: repo.owner.login,
    repoName: repo.name,
    issueNumber: epicIssue.number,
    issueId: epicIssue.id,
  });
  return { epic, taskIssue };
}

/** A bot PR for the task: a branch with one commit, and the PR open on it. */
async function openPullRequest(taskIssueNumber: number) {
  branchCounter += 1;
  const branch = `factory/gap-${branchCounter}`;
  const headSha = await maintainer().pushFiles(
    branch,
    { [`gap-${branchCounter}.txt`]: 'a change\n' },
    `A change ${branchCounter}`,
  );
  const { data: pull } = await octokit.rest.pulls.create({
    ...gh(),
    head: branch,
    base: 'main',
    title: `Task #${taskIssueNumber}`,
    body: `Closes #${taskIssueNumber}`,
  });
  return { number: pull.number, headSha, branch };
}

async function seedTaskInQueue(
  epic: Epic,
  taskIssue: { number: number; id: number },
  over: Partial<Task> & { lastStepAt?: Date; entryState?: 'queued' | 'removed' } = {},
) {
  const pull = await openPullRequest(taskIssue.number);
  const { lastStepAt, entryState, ...taskOver } = over;
  const task = await h.seedTask(epic, {
    issueNumber: taskIssue.number,
    issueId: taskIssue.id,
    state: 'REVIEW',
    attempts: 1,
    branch: pull.branch,
    prNumber: pull.number,
    headSha: pull.headSha,
    ...taskOver,
  });
  await h.database.db.insert(mergeQueueEntries).values({
    epicId: epic.id,
    taskId: task.id,
    prNumber: pull.number,
    position: 1,
    state: entryState ?? 'queued',
    lastStep: 'wait',
    lastStepReason: 'waiting for checks: test',
    lastStepAt: lastStepAt ?? new Date(Date.now() - 120_000),
  });
  return { task, pull };
}

async function repairDecisions(epicId: number) {
  const rows = await h.database.db
    .select()
    .from(decisionLog)
    .where(eq(decisionLog.epicId, epicId))
    .orderBy(decisionLog.id);
  return rows.filter((row) => row.decision.startsWith('repair:'));
}

const queueJobs = async (epicId: number) =>
  (await h.jobs('advance-merge-queue')).filter(
    (job) => (job.data as { epicId: number }).epicId === epicId,
  );

describe('reconciliation of what GitHub never delivered', { timeout: 120_000 }, () => {
  it('wakes the merge queue for a check run and then a status that finished on the head, once each', async () => {
    const { epic, taskIssue } = await seedEpic();
    const { pull } = await seedTaskInQueue(epic, taskIssue);
    // CI reports on the head commit; the check_run webhook is lost.
    await octokit.rest.checks.create({
      ...gh(),
      name: 'test',
      head_sha: pull.headSha,
      status: 'completed',
      conclusion: 'success',
    });
    // Within the settle time its webhook may still be on the way: left alone.
    const early = await runReconcile(h.deps, { epicId: epic.id, passKey: 'c0' });
    expect(early.repairs).toEqual([]);

    const first = await runReconcile(h.deps, { epicId: epic.id, passKey: 'c1', checksSettleMs: 0 });
    expect(first.repairs.map((r) => r.repair)).toEqual([
      expect.objectContaining({
        kind: 'checks-finished',
        prNumber: pull.number,
        headSha: pull.headSha,
      }),
    ]);
    expect(await queueJobs(epic.id)).toHaveLength(1);
    // A second pass before the queue ran adds no second job.
    await runReconcile(h.deps, { epicId: epic.id, passKey: 'c2', checksSettleMs: 0 });
    expect(await queueJobs(epic.id)).toHaveLength(1);

    // The queue looks (as the woken job does), right when the check had finished: nothing more.
    const checkFinishedAt = new Date(
      (first.repairs[0]?.repair as { finishedAt: string }).finishedAt,
    );
    await h.database.db
      .update(mergeQueueEntries)
      .set({ lastStepAt: checkFinishedAt })
      .where(eq(mergeQueueEntries.epicId, epic.id));
    expect(
      (await runReconcile(h.deps, { epicId: epic.id, passKey: 'c3', checksSettleMs: 0 })).repairs,
    ).toEqual([]);

    // A commit status finishes later (another CI); its webhook is lost too.
    await octokit.rest.repos.createCommitStatus({
      ...gh(),
      sha: pull.headSha,
      state: 'failure',
      context: 'lint',
    });
    const again = await runReconcile(h.deps, { epicId: epic.id, passKey: 'c4', checksSettleMs: 0 });
    expect(again.repairs.map((r) => r.repair.kind)).toEqual(['checks-finished']);
    expect(await queueJobs(epic.id)).toHaveLength(2);

    const decisions = await repairDecisions(epic.id);
    // Each pass that saw the gap says so (c1, c2 before the queue ran, c4); the job exists once per check.
    expect(decisions.map((d) => d.decision)).toEqual([
      'repair:checks-finished',
      'repair:checks-finished',
      'repair:checks-finished',
    ]);
    expect(decisions[0]?.reasoning).toMatch(/missed check_run \/ status/);
    expect(emulator.webhooks.failed().some((d) => d.event === 'check_run')).toBe(true);
  });

  it('takes back a PR a person reopened, not one of a task blocked for another reason', async () => {
    const { epic, taskIssue } = await seedEpic();
    const { pull, task } = await seedTaskInQueue(epic, taskIssue, { entryState: 'removed' });
    // The person closed it (the queue saw that and blocked the task), then reopened it unseen.
    maintainer().close(pull.number);
    await h.database.db
      .update(tasks)
      .set({ state: 'BLOCKED', blockedReason: closedWithoutMergeReason(pull.number) })
      .where(eq(tasks.id, task.id));
    maintainer().reopen(pull.number);

    const other = await seedEpic();
    const cancelled = await seedTaskInQueue(other.epic, other.taskIssue, {
      state: 'BLOCKED',
      blockedReason: 'cancelled by @acme with /factory cancel',
    });

    const first = await runReconcile(h.deps, { epicId: epic.id, passKey: 'r1' });
    expect(first.repairs.map((r) => r.repair)).toEqual([
      { kind: 'pr-reopened', taskId: task.id, prNumber: pull.number, headSha: pull.headSha },
    ]);
    // What `pull_request.reopened` enqueues: the queue's re-entry of that PR.
    expect((await queueJobs(epic.id)).map((job) => job.data)).toEqual([
      expect.objectContaining({ epicId: epic.id, reopened: pull.number }),
    ]);
    expect((await repairDecisions(epic.id)).map((d) => d.decision)).toEqual(['repair:pr-reopened']);

    const untouched = await runReconcile(h.deps, { epicId: other.epic.id, passKey: 'r1' });
    expect(untouched.repairs).toEqual([]);
    expect((await h.task(cancelled.task.id)).state).toBe('BLOCKED');
  });

  it('parks a task whose issue a person closed, with an escalation; not a task whose PR merged', async () => {
    const { epic, taskIssue } = await seedEpic();
    const task = await h.seedTask(epic, {
      issueNumber: taskIssue.number,
      issueId: taskIssue.id,
      state: 'IN_PROGRESS',
      attempts: 1,
    });
    maintainer().close(taskIssue.number);

    const first = await runReconcile(h.deps, { epicId: epic.id, passKey: 'x1' });
    expect(first.repairs.map((r) => r.repair)).toEqual([
      { kind: 'task-issue-closed', taskId: task.id, issueNumber: taskIssue.number },
    ]);
    expect(await h.task(task.id)).toMatchObject({
      state: 'BLOCKED',
      blockedReason: expect.stringContaining(`issue #${taskIssue.number} was closed by a person`),
    });
    const onEpic = [...repo.comments.values()].filter((c) => c.issueNumber === epic.issueNumber);
    expect(onEpic.map((c) => c.body)).toEqual([
      expect.stringContaining(`so task #${taskIssue.number} is parked as BLOCKED`),
    ]);
    expect((await repairDecisions(epic.id)).map((d) => d.decision)).toEqual([
      'repair:task-issue-closed',
    ]);
    expect((await runReconcile(h.deps, { epicId: epic.id, passKey: 'x2' })).repairs).toEqual([]);

    // Merged by a person: GitHub closes the task's issue too (`Closes #n`). That is the merge.
    const merged = await seedEpic();
    const { pull } = await seedTaskInQueue(merged.epic, merged.taskIssue);
    maintainer().merge(pull.number);
    maintainer().close(merged.taskIssue.number);
    const pass = await runReconcile(h.deps, { epicId: merged.epic.id, passKey: 'x1' });
    expect(pass.repairs.map((r) => r.repair.kind)).toEqual(['pr-closed']);
  });

  it('adds a task for a sub-issue a person added, and parks one whose sub-issue a person removed', async () => {
    const { epic, taskIssue } = await seedEpic();
    const task = await h.seedTask(epic, {
      issueNumber: taskIssue.number,
      issueId: taskIssue.id,
      state: 'IN_PROGRESS',
      attempts: 1,
    });
    const added = maintainer().openIssue({ title: 'Also this', body: 'One more thing' });
    maintainer().addSubIssue(epic.issueNumber, added.number);
    maintainer().removeSubIssue(epic.issueNumber, taskIssue.number);

    const first = await runReconcile(h.deps, { epicId: epic.id, passKey: 's1' });
    expect(first.repairs.map((r) => r.repair.kind).sort()).toEqual(['add-task', 'detach-task']);
    const epicTasks = await h.database.db.select().from(tasks).where(eq(tasks.epicId, epic.id));
    expect(epicTasks.find((t) => t.issueNumber === added.number)).toMatchObject({
      title: 'Also this',
    });
    expect((await h.task(task.id)).state).toBe('BLOCKED');
    expect((await repairDecisions(epic.id)).map((d) => d.decision).sort()).toEqual([
      'repair:add-task',
      'repair:detach-task',
    ]);
    expect(
      emulator.webhooks
        .failed()
        .filter((d) => d.event === 'sub_issues')
        .map((d) => d.action),
    ).toEqual(expect.arrayContaining(['sub_issue_added', 'sub_issue_removed']));
    // The new task is known now; the parked one is still detached (the diff says so), escalated once.
    const second = await runReconcile(h.deps, { epicId: epic.id, passKey: 's2' });
    expect(second.repairs.map((r) => r.repair.kind)).toEqual(['detach-task']);
    const escalated = [...repo.comments.values()].filter(
      (c) => c.issueNumber === epic.issueNumber && c.body.includes('parked as BLOCKED'),
    );
    expect(escalated).toHaveLength(1);
  });
});
