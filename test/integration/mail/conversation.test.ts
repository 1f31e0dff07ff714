import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asc, eq } from 'drizzle-orm';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAgentRunner } from '../../../src/agents/runtime/runner.js';
import { agentRuns, agents, mail, tasks } from '../../../src/db/schema.js';
import { jobIds } from '../../../src/queues/jobs.js';
import type { QueueWorkers } from '../../../src/queues/workers.js';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../support/scriptedModel/index.js';
import { expectComment, permissionOf } from './githubNock.js';
import {
  commentJobId,
  issueCommentEvent,
  receive,
  seedAgent,
  seedEpic,
  seedTask,
  startMailHarness,
  startMailWorkers,
  waitForJob,
  type MailHarness,
} from './harness.js';

/**
 * Talking to agents with the real Claude Code engine against the scripted
 * model: comments come in as webhooks, the handle-comment job runs the agent,
 * GitHub is nock (nothing pending, nothing unexpected), and each test checks
 * what the engine really sent and what was posted back.
 */

let model: ScriptedModel;
let h: MailHarness;
let workers: QueueWorkers;
let scratch: string;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  scratch = mkdtempSync(path.join(tmpdir(), 'factory-conversation-'));
  model = await startScriptedModel();
  h = await startMailHarness(
    (db) =>
      createAgentRunner({
        db,
        log: pino({ level: 'silent' }),
        model: { apiKey: 'sk-scripted', baseUrl: model.url },
        env: { ...process.env, IS_SANDBOX: '1' },
        agentHome: path.join(scratch, 'agent-home'),
        // Generous: under a loaded machine the engine alone can take a minute to start.
        timeoutMs: 170_000,
        maxTurns: 20,
        heartbeatIntervalMs: 0,
        engineRetries: 0,
        retry: { attempts: 1, baseDelayMs: 10 },
      }),
    { WORKTREE_DIR: path.join(scratch, 'worktrees') },
  );
  // The default session directories; the dispatcher is not here (cancelWorker.test.ts has /factory cancel).
  // Two at once, as in production (there four): a comment can reach an agent busy with another.
  workers = startMailWorkers(h, { startWaitingTasks: () => Promise.resolve() }, 2);
  permissionOf('alice', 'admin');
}, 120_000);

afterEach(() => {
  // The permission look-up is cached: its interceptor is used by whichever test comes first.
  expect(nock.pendingMocks().filter((m) => !m.includes('/permission'))).toEqual([]);
});

afterAll(async () => {
  await workers?.close();
  await h?.close();
  await model?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  nock.cleanAll();
  nock.enableNetConnect();
});

async function say(body: string, issueNumber: number) {
  const commentId = await post(body, issueNumber);
  await waitForJob(h, 'mail', commentJobId('issue', commentId), 200_000);
  return commentId;
}

/** A comment delivered; its job is left to run. */
async function post(body: string, issueNumber: number) {
  const event = issueCommentEvent({ body, issueNumber, author: 'alice' });
  await receive(h.probot, event);
  return event.payload.comment.id;
}

async function agentRow(id: number) {
  const [row] = await h.deps.db.select().from(agents).where(eq(agents.id, id));
  return row!;
}

const requestsOf = (marker: string) =>
  model.messageRequests().filter((r) => r.view.promptText.includes(marker));

describe('talking to agents through comments', { timeout: 300_000 }, () => {
  it("answers a maintainer's question on an epic in the same thread, with the model's words", async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const supervisor = await seedAgent(h.deps, { kind: 'supervisor', epicId: epic.id });
    model.script(match.promptIncludes('QUESTION-A'), [
      turn.text('ANSWER-A: the parser comes first because the CLI reads its output.'),
    ]);
    const reply = expectComment(epic.issueNumber, (b) => b.includes('ANSWER-A'), 91_001);
    const commentId = await say(
      '@factory-app QUESTION-A: why does the parser come first?',
      epic.issueNumber,
    );

    expect(reply.scope.isDone()).toBe(true);
    expect(reply.bodies[0]).toContain(
      '@alice ANSWER-A: the parser comes first because the CLI reads its output.',
    );
    // The model was asked by the engine, as the supervisor, with the question and the epic's state.
    const [asked] = requestsOf('QUESTION-A');
    expect(asked?.view.promptText).toContain('why does the parser come first?');
    expect(asked?.view.promptText).toContain('IN_PROGRESS');
    const rows = await h.deps.db.select().from(mail).where(eq(mail.epicId, epic.id));
    expect(rows.find((r) => r.githubCommentId === commentId)).toMatchObject({
      fromHuman: 'alice',
      toAgentId: supervisor.id,
      readAt: expect.any(Date),
    });
    expect(rows.find((r) => r.isForHuman)).toMatchObject({
      fromAgentId: supervisor.id,
      githubCommentId: 91_001,
      subject: `Re: Comment on #${epic.issueNumber}`,
    });
    expect((await agentRow(supervisor.id)).state).toBe('IDLE');
  });

  it('asks a person through its tool, waits, and the answer resumes the same session', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const task = await seedTask(h.deps, epic, { state: 'IN_PROGRESS', attempts: 1 });
    const worker = await seedAgent(h.deps, { kind: 'worker', epicId: epic.id, taskId: task.id });
    await h.deps.db.update(tasks).set({ assignedAgentId: worker.id }).where(eq(tasks.id, task.id));
    // One conversation: the resumed request carries the first two turns, so it plays the third.
    model.script(match.promptIncludes('QUESTION-B'), [
      turn.factoryTool('ask_human', { question: 'TABS-OR-SPACES: which indentation?' }),
      turn.text('I asked the maintainers and will wait.'),
      turn.text('ANSWER-B: switching to tabs, as you said.'),
    ]);
    const question = expectComment(
      task.issueNumber,
      (b) => b.includes('asks:') && b.includes('> TABS-OR-SPACES: which indentation?'),
      92_001,
    );
    await say(
      '@factory-app QUESTION-B: settle the indentation before you go on.',
      task.issueNumber,
    );

    expect(question.scope.isDone()).toBe(true);
    const waiting = await agentRow(worker.id);
    expect(waiting.state).toBe('WAITING');
    expect(waiting.sessionId).toEqual(expect.any(String));
    const [asked] = requestsOf('QUESTION-B');
    expect(asked?.view.toolNames).toContain('mcp__factory__ask_human');

    const answer = expectComment(task.issueNumber, (b) => b.includes('ANSWER-B'), 92_002);
    const replyId = await say('@factory-app REPLY-B: use tabs.', task.issueNumber);

    expect(answer.scope.isDone()).toBe(true);
    expect(answer.bodies[0]).toContain('@alice ANSWER-B: switching to tabs, as you said.');
    const after = await agentRow(worker.id);
    expect(after.sessionId).toBe(waiting.sessionId);
    expect(after.state).toBe('IDLE');
    const runs = await h.deps.db
      .select()
      .from(agentRuns)
      .where(eq(agentRuns.agentId, worker.id))
      .orderBy(asc(agentRuns.id));
    expect(runs.map((r) => [r.status, r.sessionId])).toEqual([
      ['succeeded', waiting.sessionId],
      ['succeeded', waiting.sessionId],
    ]);
    // The engine resumed the session: the request carries the earlier conversation and the answer.
    const resumed = requestsOf('REPLY-B');
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.view.sessionId).toBe(waiting.sessionId);
    expect(resumed[0]?.view.turnIndex).toBe(2);
    expect(resumed[0]?.view.promptText).toContain('QUESTION-B');
    expect(resumed[0]?.view.promptText).toContain('use tabs.');
    expect(JSON.stringify(resumed[0]?.view.body.messages)).toContain(
      'TABS-OR-SPACES: which indentation?',
    );
    // Its answer given, the task's attempt carries on in the worker's job.
    const job = await h.deps.queues
      .queue('task')
      .getJob(jobIds.forEntity('implement-task', task.id, 'answered', replyId));
    expect(job?.data).toMatchObject({ taskId: task.id, attempt: 1 });
  });

  it('gives an agent busy answering one comment the next at its next turn, answered in the thread', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const supervisor = await seedAgent(h.deps, { kind: 'supervisor', epicId: epic.id });
    let release!: () => void;
    const firstAnswerHeld = new Promise<void>((resolve) => (release = resolve));
    model.script(match.promptIncludes('FIRST-C'), [
      turn.text('ANSWER-C1: the first answer.', { heldUntil: firstAnswerHeld }),
      // Its next turn carries the new mail; it answers it by the message id it was given.
      turn.dynamic((request) =>
        turn.factoryTool('answer_mail', {
          messageId: Number(/Message (\d+)/.exec(request.promptText)?.[1]),
          answer: 'ANSWER-C2: the second answer.',
        }),
      ),
      turn.text('Answered the new mail.'),
    ]);
    const firstId = await post('@factory-app FIRST-C: what comes first?', epic.issueNumber);
    const first = await model.waitForRequest(
      (r) => r.view?.promptText.includes('FIRST-C') === true,
      200_000,
    );
    // BUSY, naming this comment's job: the health check judges it by that job.
    expect(await agentRow(supervisor.id)).toMatchObject({
      state: 'BUSY',
      currentJobId: commentJobId('issue', firstId),
    });

    const busy = expectComment(epic.issueNumber, (b) => b.includes('is busy right now'), 94_001);
    const secondId = await say('@factory-app SECOND-C: and the tests?', epic.issueNumber);
    expect(busy.scope.isDone()).toBe(true);
    const [second] = await h.deps.db.select().from(mail).where(eq(mail.githubCommentId, secondId));
    expect(second).toMatchObject({ toAgentId: supervisor.id, readAt: null });

    const answers = [
      expectComment(epic.issueNumber, (b) => b.includes('@alice ANSWER-C1'), 94_002),
      expectComment(epic.issueNumber, (b) => b.includes('@alice ANSWER-C2'), 94_003),
    ];
    release();
    await waitForJob(h, 'mail', commentJobId('issue', firstId), 200_000);

    expect(answers.map((a) => a.scope.isDone())).toEqual([true, true]);
    const [read] = await h.deps.db.select().from(mail).where(eq(mail.id, second!.id));
    expect(read?.readAt).not.toBeNull();
    // The next turn resumed the same session, with the new message in it.
    const next = requestsOf('SECOND-C');
    expect(next[0]?.view.sessionId).toBe(first.view?.sessionId);
    expect(next[0]?.view.turnIndex).toBe(1);
    expect(next[0]?.view.promptText).toContain('New mail arrived while you were working');
    expect(next[0]?.view.toolNames).toContain('mcp__factory__answer_mail');
    const replies = await h.deps.db.select().from(mail).where(eq(mail.epicId, epic.id));
    expect(
      replies
        .filter((r) => r.isForHuman)
        .map((r) => r.dedupeKey)
        .sort(),
    ).toEqual(
      [`answer-issue-${secondId}`, `reply-issue-${firstId}`, `reply-issue-${secondId}`].sort(),
    );
    expect(await agentRow(supervisor.id)).toMatchObject({ state: 'IDLE', currentJobId: null });
  });
});
