import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRunRequest, AgentRunResult } from '../../../src/agents/runtime/types.js';
import { createSubIssues } from '../../../src/agents/supervisor/createSubIssues.js';
import { planEpic } from '../../../src/agents/supervisor/planEpic.js';
import { implementTask } from '../../../src/agents/worker/implementTask.js';
import { reworkTask } from '../../../src/agents/worker/reworkTask.js';
import {
  agents as agentTable,
  mail,
  tasks as taskTable,
  type Task,
} from '../../../src/db/schema.js';
import { getTask, listTasksOfEpic } from '../../../src/db/tasks.js';
import { FakeAgentRunner } from '../../support/flow/fakeAgentRunner.js';
import { createFlowHarness, type FlowHarness } from '../../support/flow/flowHarness.js';

const ref = { installationId: 1, owner: 'acme', repo: 'app' };
const job = { id: 'job-under-test', attemptsMade: 0, opts: { attempts: 3 } };
const plan = {
  summary: 'One task.',
  tasks: [
    {
      key: 'note',
      title: 'Write the note',
      description: 'Do it.',
      acceptanceCriteria: ['done'],
      dependsOn: [],
    },
  ],
};

/** Acts like a worker; asked to resolve a conflict, it keeps both sides of the one conflicted file. */
class ReworkingAgent extends FakeAgentRunner {
  override async run(request: AgentRunRequest): Promise<AgentRunResult> {
    if (request.purpose !== 'resolve-conflict') return super.run(request);
    this.requests.push(request);
    const file = path.join(request.cwd, `task-${request.context.taskId}.txt`);
    writeFileSync(file, 'from main\nwork of the task\n');
    return {
      status: 'succeeded',
      runId: this.requests.length,
      sessionId: `session-${request.context.taskId}`,
      text: 'Resolved the conflict.',
      numTurns: 1,
      usage: {
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        costUsd: 0,
      },
    };
  }
}

const git = (gitDir: string, ...args: string[]) =>
  execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8' }).trim();

describe('rework-task: a PR given back to its worker', () => {
  let harness: FlowHarness;
  const agents = new ReworkingAgent(plan);
  let task: Task;

  const sendBack = async (round: number, feedback?: string) => {
    await harness.deps.db
      .update(taskTable)
      .set({ state: 'IN_PROGRESS' })
      .where(eq(taskTable.id, task.id));
    if (feedback) {
      await harness.deps.db.insert(mail).values({
        taskId: task.id,
        subject: 'Changes requested',
        body: feedback,
        dedupeKey: `merge-queue-rework-${task.id}-${round}`,
      });
    }
  };

  beforeAll(async () => {
    harness = await createFlowHarness({ agents, config: 'test: "true"' });
    const epic = await harness.createEpic('Rework', 'Write a note.');
    expect(await planEpic(harness.flow, { epicId: epic.id, ...ref }, job)).toBe('planned');
    expect(await createSubIssues(harness.flow, { epicId: epic.id, ...ref })).toBe('created');
    const [claimed] = await listTasksOfEpic(harness.deps.db, epic.id);
    const payload = { taskId: claimed!.id, ...ref, attempt: claimed!.attempts };
    expect(await implementTask(harness.flow, payload, job)).toBe('review');
    task = await getTask(harness.deps.db, claimed!.id);
  });
  afterAll(() => harness.close());

  it('addresses requested changes in the same session, pushes to the same branch and returns to REVIEW', async () => {
    const before = git(harness.bare, 'rev-parse', task.branch!);
    await sendBack(1, 'Please say which round this is.');

    const payload = { taskId: task.id, ...ref, reason: 'changes-requested' as const, round: 1 };
    expect(await reworkTask(harness.flow, payload, { id: 'rework-job-1' })).toBe('review');

    const run = agents.workerRuns(task.id).at(-1);
    expect(run?.prompt).toContain('Please say which round this is.');
    expect(run?.resumeSessionId).toBe(`session-${task.id}`);
    const after = git(harness.bare, 'rev-parse', task.branch!);
    expect(after).not.toBe(before);
    expect(git(harness.bare, 'rev-parse', `${after}^`)).toBe(before);
    expect(git(harness.bare, 'show', `${after}:task-${task.id}.txt`)).toBe('work of round 2');

    const [worker] = await harness.deps.db
      .select()
      .from(agentTable)
      .where(eq(agentTable.id, task.assignedAgentId!));
    expect(worker?.currentJobId).toBe('rework-job-1');
    const reviewed = await getTask(harness.deps.db, task.id);
    expect(reviewed.state).toBe('REVIEW');
    expect(reviewed.headSha).toBe(after);
    const [letter] = await harness.deps.db.select().from(mail).where(eq(mail.taskId, task.id));
    expect(letter?.readAt).not.toBeNull();
    const wakes = await harness.deps.queues.queue('merge-queue').getJobs(['waiting', 'delayed']);
    expect(wakes.some((j) => j.name === 'advance-merge-queue')).toBe(true);

    // The same job again (a redelivery or retry) finds the task in REVIEW and does nothing.
    expect(await reworkTask(harness.flow, payload)).toBe('stale');
    expect(git(harness.bare, 'rev-parse', task.branch!)).toBe(after);
  });

  it('merges the moved base into the branch and has the agent resolve only the conflict', async () => {
    const person = mkdtempSync(path.join(os.tmpdir(), 'factory-rework-person-'));
    execFileSync('git', ['clone', '--quiet', harness.bare, person]);
    writeFileSync(path.join(person, `task-${task.id}.txt`), 'from main\n');
    execFileSync('git', ['-C', person, 'add', '--all']);
    execFileSync('git', [
      '-C',
      person,
      '-c',
      'user.name=P',
      '-c',
      'user.email=p@example.com',
      'commit',
      '--quiet',
      '-m',
      'conflicting change on main',
    ]);
    execFileSync('git', ['-C', person, 'push', '--quiet', 'origin', 'HEAD:main']);
    const mainHead = git(harness.bare, 'rev-parse', 'main');

    await sendBack(2);
    const payload = { taskId: task.id, ...ref, reason: 'conflict' as const, round: 2 };
    expect(await reworkTask(harness.flow, payload)).toBe('review');

    const run = agents.workerRuns(task.id).at(-1);
    expect(run?.purpose).toBe('resolve-conflict');
    expect(run?.resumeSessionId).toBeUndefined();
    expect(run?.prompt).toContain('Write the note');
    expect(run?.prompt).toContain(`task-${task.id}.txt`);
    const head = git(harness.bare, 'rev-parse', task.branch!);
    expect(git(harness.bare, 'rev-list', '--parents', '-n', '1', head).split(' ')).toHaveLength(3);
    execFileSync('git', ['--git-dir', harness.bare, 'merge-base', '--is-ancestor', mainHead, head]);
    expect(git(harness.bare, 'show', `${head}:task-${task.id}.txt`)).toBe(
      'from main\nwork of the task',
    );
    expect((await getTask(harness.deps.db, task.id)).state).toBe('REVIEW');
  });
});
