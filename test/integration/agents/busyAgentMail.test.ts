import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AgentRunRequest,
  AgentRunResult,
  StructuredRunResult,
} from '../../../src/agents/runtime/types.js';
import { createSubIssues } from '../../../src/agents/supervisor/createSubIssues.js';
import { planEpic } from '../../../src/agents/supervisor/planEpic.js';
import { implementTask } from '../../../src/agents/worker/implementTask.js';
import { reworkTask } from '../../../src/agents/worker/reworkTask.js';
import { mail, tasks as taskTable, type Mail, type Task } from '../../../src/db/schema.js';
import { getTask, listTasksOfEpic } from '../../../src/db/tasks.js';
import { FakeAgentRunner } from '../../support/flow/fakeAgentRunner.js';
import { createFlowHarness, type FlowHarness } from '../../support/flow/flowHarness.js';

/**
 * A busy agent gets the mail people sent it at its next turn: between the
 * runs of a worker's attempt (and of a rework round), and after the
 * supervisor's planning run, the job hands it the unread mail in the same
 * session, marks it read, and the agent can answer in the thread with its
 * answer_mail tool.
 */

const ref = { installationId: 1, owner: 'acme', repo: 'app' };
const job = { id: 'job-under-test', attemptsMade: 0, opts: { attempts: 3 } };
const plan = {
  summary: 'One task.',
  tasks: [
    {
      key: 'a',
      title: 'Write it',
      description: 'Do it.',
      acceptanceCriteria: ['x'],
      dependsOn: [],
    },
  ],
};

/** A fake worker that, on chosen runs, gets mail while it works or answers the mail it was given. */
class MailedAgent extends FakeAgentRunner {
  /** Called while the n-th worker run (1-based) is under way. */
  during = new Map<number, (request: AgentRunRequest) => Promise<void>>();

  override async run(request: AgentRunRequest): Promise<AgentRunResult> {
    const n = this.workerRuns().length + 1;
    await this.during.get(n)?.(request);
    const id = /Message (\d+)/.exec(request.prompt)?.[1];
    const answer = request.tools?.find((tool) => tool.name === 'answer_mail');
    if (id && answer) await answer.handler({ messageId: Number(id), answer: `Noted (run ${n}).` });
    return super.run(request);
  }
}

let commentId = 700_000;

describe('mail to a busy worker', () => {
  let harness: FlowHarness;
  const agents = new MailedAgent(plan);
  let task: Task;

  /** A person's message as conversation.ts records it for a BUSY worker: addressed, unread. */
  const personWrites = async (body: string, toAgentId: number | null): Promise<Mail> => {
    commentId += 1;
    const [row] = await harness.deps.db
      .insert(mail)
      .values({
        githubCommentId: commentId,
        fromHuman: 'alice',
        subject: `Comment on #${task.issueNumber}`,
        body,
        epicId: task.epicId,
        taskId: task.id,
        toAgentId,
      })
      .returning();
    return row!;
  };
  const reload = async (row: Mail) =>
    (await harness.deps.db.select().from(mail).where(eq(mail.id, row.id)))[0]!;

  beforeAll(async () => {
    harness = await createFlowHarness({ agents, config: 'test: "true"' });
    const epic = await harness.createEpic('Mail', 'Write a note.');
    expect(await planEpic(harness.flow, { epicId: epic.id, ...ref }, job)).toBe('planned');
    expect(await createSubIssues(harness.flow, { epicId: epic.id, ...ref })).toBe('created');
    [task] = (await listTasksOfEpic(harness.deps.db, epic.id)) as [Task];
  });
  afterAll(() => harness.close());

  it('gives the attempt mail left before it started, and mail that came mid-run at its next turn', async () => {
    const early = await personWrites('EARLY-NOTE: keep it short.', null);
    let midRun: Mail | undefined;
    agents.during.set(1, async (request) => {
      midRun = await personWrites('MID-RUN: please also add a title.', request.agentId);
    });
    const payload = { taskId: task.id, ...ref, attempt: task.attempts };
    expect(await implementTask(harness.flow, payload, job)).toBe('review');

    const runs = agents.workerRuns(task.id);
    expect(runs).toHaveLength(2);
    expect(runs[0]?.prompt).toContain('EARLY-NOTE: keep it short.');
    expect(runs[0]?.prompt).not.toContain('MID-RUN');
    // The next turn is the mail, in the same session, before the checks and the PR.
    expect(runs[1]?.prompt).toContain('New mail arrived while you were working');
    expect(runs[1]?.prompt).toContain('MID-RUN: please also add a title.');
    expect(runs[1]?.resumeSessionId).toBe(`session-${task.id}`);
    expect(runs[1]?.tools?.map((tool) => tool.name)).toEqual(['answer_mail', 'ask_human']);
    task = await getTask(harness.deps.db, task.id);
    for (const row of [early, midRun!]) {
      expect(await reload(row)).toMatchObject({
        readAt: expect.any(Date),
        toAgentId: task.assignedAgentId,
      });
    }
    // Its answer is posted in the thread the message came from.
    const answers = harness.github
      .commentsOn(task.issueNumber)
      .map((c) => c.body)
      .filter((body) => body.includes('@alice Noted'));
    expect(answers).toHaveLength(2);
    expect(answers[0]).toContain('Noted (run 1).');
    expect(answers[1]).toContain('Noted (run 2).');
    expect(harness.github.pulls()).toHaveLength(1);
  });

  it('gives a rework round the mail that came while it worked, not its own feedback again', async () => {
    await harness.deps.db
      .update(taskTable)
      .set({ state: 'IN_PROGRESS' })
      .where(eq(taskTable.id, task.id));
    await harness.deps.db.insert(mail).values({
      taskId: task.id,
      toAgentId: task.assignedAgentId,
      subject: 'Changes requested',
      body: 'FEEDBACK: rename the file.',
      dedupeKey: `merge-queue-rework-${task.id}-1`,
    });
    const before = agents.workerRuns(task.id).length;
    let midRun: Mail | undefined;
    agents.during.set(before + 1, async (request) => {
      midRun = await personWrites('REWORK-MID: and fix the typo.', request.agentId);
    });
    const payload = { taskId: task.id, ...ref, reason: 'changes-requested' as const, round: 1 };
    expect(await reworkTask(harness.flow, payload, { id: 'rework-1' })).toBe('review');

    const runs = agents.workerRuns(task.id).slice(before);
    expect(runs).toHaveLength(2);
    expect(runs[0]?.prompt).toContain('FEEDBACK: rename the file.');
    expect(runs[1]?.prompt).toContain('REWORK-MID: and fix the typo.');
    expect(runs[1]?.prompt).not.toContain('FEEDBACK');
    expect(runs[1]?.resumeSessionId).toBe(`session-${task.id}`);
    expect((await reload(midRun!)).readAt).not.toBeNull();
  });
});

/** A fake supervisor that gets mail while it plans, and answers mail it is given. */
class PlanningAgent extends FakeAgentRunner {
  duringPlan?: (request: AgentRunRequest) => Promise<void>;

  override async runStructured<T>(
    request: AgentRunRequest,
    submit: { toolName: string; schema: { parse(value: unknown): T } },
  ): Promise<StructuredRunResult<T>> {
    await this.duringPlan?.(request);
    return super.runStructured(request, submit);
  }

  override async run(request: AgentRunRequest): Promise<AgentRunResult> {
    const id = /Message (\d+)/.exec(request.prompt)?.[1];
    const answer = request.tools?.find((tool) => tool.name === 'answer_mail');
    if (id && answer)
      await answer.handler({ messageId: Number(id), answer: 'PLAN-ANSWER: yes, two tasks.' });
    return super.run(request);
  }
}

describe('mail to a busy supervisor', () => {
  let harness: FlowHarness;
  const agents = new PlanningAgent(plan);

  beforeAll(async () => {
    harness = await createFlowHarness({ agents, config: 'planApproval: true' });
  });
  afterAll(() => harness.close());

  it('gives it the mail that came while it planned, in its planning session, once the plan is in', async () => {
    const epic = await harness.createEpic('Plan', 'Plan this.');
    let message: Mail | undefined;
    agents.duringPlan = async (request) => {
      [message] = await harness.deps.db
        .insert(mail)
        .values({
          githubCommentId: 990_001,
          fromHuman: 'alice',
          subject: `Comment on #${epic.issueNumber}`,
          body: 'PLAN-QUESTION: will it be two tasks?',
          epicId: epic.id,
          toAgentId: request.agentId,
        })
        .returning();
    };
    expect(await planEpic(harness.flow, { epicId: epic.id, ...ref }, job)).toBe(
      'awaiting-approval',
    );

    const [planning, mailTurn] = agents.requests;
    expect(planning?.purpose).toBe('plan');
    expect(mailTurn).toMatchObject({
      role: 'supervisor',
      purpose: 'mail',
      cwd: planning?.cwd,
      resumeSessionId: 'session-plan',
    });
    expect(mailTurn?.prompt).toContain('PLAN-QUESTION: will it be two tasks?');
    expect(mailTurn?.tools?.map((tool) => tool.name)).toEqual(['answer_mail']);
    expect(agents.requests).toHaveLength(2);
    const [row] = await harness.deps.db.select().from(mail).where(eq(mail.id, message!.id));
    expect(row?.readAt).not.toBeNull();
    const answers = harness.github
      .commentsOn(epic.issueNumber)
      .filter((c) => c.body.includes('@alice PLAN-ANSWER: yes, two tasks.'));
    expect(answers).toHaveLength(1);
  });
});
