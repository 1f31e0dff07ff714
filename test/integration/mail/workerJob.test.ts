import { existsSync } from 'node:fs';
import path from 'node:path';
import { asc, eq } from 'drizzle-orm';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startAgentCancelListener,
  type AgentCancelListener,
} from '../../../src/agents/runtime/cancellation.js';
import { createAgentRunner } from '../../../src/agents/runtime/runner.js';
import type { AgentRunner } from '../../../src/agents/runtime/types.js';
import { implementTask } from '../../../src/agents/worker/implementTask.js';
import { agentRuns, agents, epics, tasks } from '../../../src/db/schema.js';
import { getTask } from '../../../src/db/tasks.js';
import { recordIncomingComment } from '../../../src/mail/mailbox.js';
import { mailProcessors } from '../../../src/mail/processors.js';
import { jobIds } from '../../../src/queues/jobs.js';
import { createFlowHarness, type FlowHarness } from '../../support/flow/flowHarness.js';
import { git } from '../../support/git/localRemote.js';
import { githubApi } from '../../support/github.js';
import { testRedisUrl } from '../../support/redis.js';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../support/scriptedModel/index.js';
import { engineChildren, eventuallyHolds } from '../../support/engineProcesses.js';

/**
 * Comments reaching a worker whose implement-task job runs the real Claude
 * Code engine against the scripted model, over a real git remote and a fake
 * GitHub: the worker asks a person and waits, the answer resumes its session
 * and the job carries the attempt on to a pull request; `/factory cancel`
 * stops an engine mid-turn.
 */

const ref = { installationId: 1, owner: 'acme', repo: 'app' };

let model: ScriptedModel;
let harness: FlowHarness;
let runner: AgentRunner | undefined;
let listener: AgentCancelListener;
let handleComment: NonNullable<ReturnType<typeof mailProcessors>['handle-comment']>;
let nextCommentId = 880_000;

const requestsOf = (marker: string) =>
  model.messageRequests().filter((r) => r.view.promptText.includes(marker));

async function workerOf(id: number) {
  const [row] = await harness.deps.db.select().from(agents).where(eq(agents.id, id));
  return row!;
}

beforeAll(async () => {
  model = await startScriptedModel();
  // The real runner records its runs in the harness's database, which exists only once it is made.
  const lazy: AgentRunner = {
    run: (request) => runner!.run(request),
    runStructured: (request, submit) => runner!.runStructured(request, submit),
  };
  harness = await createFlowHarness({ agents: lazy, config: 'test: "true"' });
  runner = createAgentRunner({
    db: harness.deps.db,
    log: pino({ level: 'silent' }),
    model: { apiKey: 'sk-scripted', baseUrl: model.url },
    env: { ...process.env, IS_SANDBOX: '1' },
    agentHome: path.join(harness.temp, 'agent-home'),
    timeoutMs: 170_000,
    maxTurns: 20,
    heartbeatIntervalMs: 0,
    engineRetries: 0,
    retry: { attempts: 1, baseDelayMs: 10 },
  });
  listener = await startAgentCancelListener({
    redisUrl: testRedisUrl,
    prefix: harness.deps.env.REDIS_PREFIX,
  });
  nock(githubApi)
    .persist()
    .get('/repos/acme/app/collaborators/alice/permission')
    .reply(200, { permission: 'admin', role_name: 'admin', user: { login: 'alice' } });
  handleComment = mailProcessors(harness.deps, { startWaitingTasks: () => Promise.resolve() })[
    'handle-comment'
  ]!;
}, 120_000);

/** A maintainer's comment on an issue: recorded as intake does, then the mail job handles it. */
async function comment(issueNumber: number, body: string, repoId: number) {
  const commentId = ++nextCommentId;
  await recordIncomingComment(harness.deps.db, {
    commentId,
    fromHuman: 'alice',
    subject: `Comment on #${issueNumber}`,
    body,
  });
  await handleComment(
    {
      ...ref,
      repoId,
      deliveryId: `delivery-${commentId}`,
      issueNumber,
      commentId,
      commentKind: 'issue',
    },
    { attemptsMade: 0 } as never,
  );
  return commentId;
}

/** An epic under way and one task of it, claimed for its first attempt. */
async function claimedTask(title: string) {
  const epic = await harness.createEpic(`Epic of ${title}`, 'Add a greeting.');
  await harness.deps.db
    .update(epics)
    .set({ state: 'IN_PROGRESS', plan: { tasks: [] }, planApprovedAt: new Date() })
    .where(eq(epics.id, epic.id));
  const issue = harness.github.createIssue({ title });
  const [task] = await harness.deps.db
    .insert(tasks)
    .values({
      epicId: epic.id,
      issueNumber: issue.number,
      issueId: issue.id,
      title,
      state: 'ASSIGNED',
      attempts: 1,
    })
    .returning();
  return { epic: { ...epic, state: 'IN_PROGRESS' as const }, task: task!, issue };
}

afterAll(async () => {
  await listener?.close();
  await harness?.close();
  await model?.close();
});

describe('a worker job and the people it talks to', { timeout: 300_000 }, () => {
  it('asks a person mid-task and waits; the answer resumes the same session, and the job carries on to a PR', async () => {
    const { epic, task, issue } = await claimedTask('Indent the greeting TASK-ASK-J');
    // One conversation across three runs: each resumed request carries the turns before it.
    model.script(match.promptIncludes('TASK-ASK-J'), [
      turn.factoryTool('ask_human', { question: 'INDENT-Q: tabs or spaces?' }),
      turn.text('Asked; waiting for the answer.'),
      turn.text('ANSWER-J: tabs it is; I carry on.'),
      turn.toolUse('Bash', { command: "printf 'hello\\tworld\\n' > greeting.txt" }),
      turn.text('SUMMARY-J: wrote the greeting, indented with tabs.'),
    ]);
    const job = { id: 'implement-ask', attemptsMade: 0, opts: { attempts: 3 } };
    expect(await implementTask(harness.flow, { taskId: task.id, ...ref, attempt: 1 }, job)).toBe(
      'waiting',
    );

    // The question is on the task issue, the worker WAITING, the task still IN_PROGRESS.
    const asked = await getTask(harness.deps.db, task.id);
    expect(asked.state).toBe('IN_PROGRESS');
    const [question] = harness.github.commentsOn(issue.number).map((c) => c.body);
    expect(question).toContain('**The worker of this task asks:**');
    expect(question).toContain('> INDENT-Q: tabs or spaces?');
    const waiting = await workerOf(asked.assignedAgentId!);
    expect(waiting.state).toBe('WAITING');
    expect(waiting.sessionId).toEqual(expect.any(String));
    expect(harness.github.pulls()).toHaveLength(0);

    const replyId = await comment(issue.number, '@factory-app REPLY-J: use tabs.', epic.repoId);

    // The answer run resumed the session; its words are posted in the thread.
    const answered = requestsOf('REPLY-J');
    expect(answered[0]?.view.sessionId).toBe(waiting.sessionId);
    expect(answered[0]?.view.turnIndex).toBe(2);
    expect(JSON.stringify(answered[0]?.view.body.messages)).toContain('INDENT-Q: tabs or spaces?');
    expect(harness.github.commentsOn(issue.number).map((c) => c.body)).toEqual([
      question,
      expect.stringContaining('@alice ANSWER-J: tabs it is; I carry on.'),
    ]);
    const idle = await workerOf(waiting.id);
    expect(idle).toMatchObject({ state: 'IDLE', sessionId: waiting.sessionId });

    // The job it enqueued carries the attempt on in that same session, to a pull request.
    const next = await harness.deps.queues
      .queue('task')
      .getJob(jobIds.forEntity('implement-task', task.id, 'answered', replyId));
    expect(next?.data).toMatchObject({
      taskId: task.id,
      attempt: 1,
      resumeSessionId: waiting.sessionId,
    });
    const carried = { id: next!.id, attemptsMade: 0, opts: { attempts: 3 } };
    expect(await implementTask(harness.flow, next!.data as never, carried)).toBe('review');
    const carryOn = requestsOf('Carry on with task');
    expect(carryOn[0]?.view.sessionId).toBe(waiting.sessionId);
    expect(carryOn[0]?.view.turnIndex).toBe(3);
    const done = await getTask(harness.deps.db, task.id);
    expect(done).toMatchObject({ state: 'REVIEW', attempts: 1 });
    expect(harness.github.pulls()).toHaveLength(1);
    expect(harness.github.pulls()[0]?.body).toContain('SUMMARY-J');
    expect(git(harness.bare, 'show', `${done.branch}:greeting.txt`)).toBe('hello\tworld\n');
    const runs = await harness.deps.db
      .select()
      .from(agentRuns)
      .where(eq(agentRuns.agentId, waiting.id))
      .orderBy(asc(agentRuns.id));
    expect(runs.map((r) => [r.purpose, r.status, r.sessionId])).toEqual([
      ['implement', 'succeeded', waiting.sessionId],
      ['answer', 'succeeded', waiting.sessionId],
      ['implement', 'succeeded', waiting.sessionId],
    ]);
  });

  it('/factory cancel stops the engine mid-run; the job ends the task BLOCKED, labelled and told, and does not retry', async () => {
    const { epic, task, issue } = await claimedTask('Write the greeting TASK-CANCEL-J');
    const pullsBefore = harness.github.pulls().length;
    model.script(match.promptIncludes('TASK-CANCEL-J'), [
      turn.toolUse('Bash', { command: 'echo started > progress.txt' }),
      turn.hang(),
      turn.text('LATE-TURN: never served.'),
    ]);
    const job = { id: 'implement-under-test', attemptsMade: 0, opts: { attempts: 3 } };
    const working = implementTask(harness.flow, { taskId: task!.id, ...ref, attempt: 1 }, job);

    // The engine ran the first turn's command in the worktree and waits on the second turn.
    await model.waitForRequest(
      (r) => r.view?.promptText.includes('TASK-CANCEL-J') === true && r.view.turnIndex === 1,
      200_000,
    );
    const running = await getTask(harness.deps.db, task!.id);
    expect(running.state).toBe('IN_PROGRESS');
    expect(existsSync(path.join(running.worktreePath!, 'progress.txt'))).toBe(true);
    expect(engineChildren().length).toBeGreaterThan(0);

    // A maintainer comments `/factory cancel` on the task.
    await comment(issue.number, '/factory cancel', epic.repoId);

    expect(await working).toBe('cancelled');
    const stopped = await getTask(harness.deps.db, task!.id);
    expect(stopped).toMatchObject({
      state: 'BLOCKED',
      blockedReason: 'cancelled by @alice with /factory cancel',
      attempts: 1,
    });
    expect(harness.github.issue(issue.number).labels).toContain('factory:blocked');
    expect(harness.github.commentsOn(issue.number).map((c) => c.body)).toEqual([
      expect.stringContaining('@alice Stopped the work on task'),
    ]);
    expect(harness.github.pulls()).toHaveLength(pullsBefore);
    const [worker] = await harness.deps.db
      .select()
      .from(agents)
      .where(eq(agents.id, stopped.assignedAgentId!));
    expect(worker?.state).toBe('IDLE');
    const runs = await harness.deps.db
      .select()
      .from(agentRuns)
      .where(eq(agentRuns.agentId, worker!.id));
    expect(runs.map((r) => r.status)).toEqual(['cancelled']);
    // The run really ended early: the engine is gone, its pending request was dropped,
    // and the model was never asked for the turn after.
    await eventuallyHolds(() => expect(engineChildren()).toEqual([]));
    await eventuallyHolds(() =>
      expect(
        model
          .messageRequests()
          .filter((r) => r.view.promptText.includes('TASK-CANCEL-J'))
          .map((r) => [r.view.turnIndex, r.abandoned ?? false]),
      ).toEqual([
        [0, false],
        [1, true],
      ]),
    );
  });
});
