import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startAgentCancelListener,
  type AgentCancelListener,
} from '../../../src/agents/runtime/cancellation.js';
import { createAgentRunner } from '../../../src/agents/runtime/runner.js';
import { findTask } from '../../../src/db/tasks.js';
import { agentRuns, agents, mail, tasks } from '../../../src/db/schema.js';
import { jobIds } from '../../../src/queues/jobs.js';
import type { QueueWorkers } from '../../../src/queues/workers.js';
import { testRedisUrl } from '../../support/redis.js';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../support/scriptedModel/index.js';
import { expectComment, expectStateLabel, permissionOf } from './githubNock.js';
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
let listener: AgentCancelListener;
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
  // The defaults for cancelling (through Redis) and session directories; the dispatcher is not here.
  workers = startMailWorkers(h, { startWaitingTasks: () => Promise.resolve() });
  listener = await startAgentCancelListener({ redisUrl: testRedisUrl, prefix: h.prefix });
  permissionOf('alice', 'admin');
}, 120_000);

afterEach(() => {
  // The permission look-up is cached: its interceptor is used by whichever test comes first.
  expect(nock.pendingMocks().filter((m) => !m.includes('/permission'))).toEqual([]);
});

afterAll(async () => {
  await listener?.close();
  await workers?.close();
  await h?.close();
  await model?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  nock.cleanAll();
  nock.enableNetConnect();
});

async function say(body: string, issueNumber: number) {
  const event = issueCommentEvent({ body, issueNumber, author: 'alice' });
  await receive(h.probot, event);
  await waitForJob(h, 'mail', commentJobId('issue', event.payload.comment.id), 200_000);
  return event.payload.comment.id;
}

async function agentRow(id: number) {
  const [row] = await h.deps.db.select().from(agents).where(eq(agents.id, id));
  return row!;
}

/** Claude Code processes started by this test process. */
function engineChildren(): string[] {
  const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((name) => name.trim() === 'claude');
}

async function eventually(check: () => void, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
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

  it('/factory cancel stops a worker whose engine is mid-run; the task ends BLOCKED, labelled, told', async () => {
    const epic = await seedEpic(h.deps, { state: 'IN_PROGRESS' });
    const task = await seedTask(h.deps, epic, { state: 'IN_PROGRESS', attempts: 1 });
    const worker = await seedAgent(h.deps, { kind: 'worker', epicId: epic.id, taskId: task.id });
    const worktree = path.join(scratch, 'worktrees', `task-${task.id}`);
    mkdirSync(worktree, { recursive: true });
    model.script(match.promptIncludes('TASK-CANCEL-C'), [
      turn.toolUse('Bash', { command: 'echo started > progress.txt' }),
      turn.hang(),
      turn.text('LATE-TURN: never served.'),
    ]);
    const running = h.deps.agents.run({
      role: 'worker',
      agentId: worker.id,
      purpose: 'implement',
      cwd: worktree,
      systemPrompt: 'You are the worker.',
      prompt: 'Do TASK-CANCEL-C.',
      model: 'claude-sonnet-4-5',
      context: { epicId: epic.id, taskId: task.id },
    });
    // The engine ran the first turn's command and now waits on the model's second turn.
    await model.waitForRequest(
      (r) => r.view?.promptText.includes('TASK-CANCEL-C') === true && r.view.turnIndex === 1,
      200_000,
    );
    expect(existsSync(path.join(worktree, 'progress.txt'))).toBe(true);
    expect(engineChildren().length).toBeGreaterThan(0);
    expect((await agentRow(worker.id)).state).toBe('BUSY');

    const labels = expectStateLabel(task.issueNumber, ['factory:in-progress'], 'factory:blocked');
    const reply = expectComment(task.issueNumber, (b) => b.includes('now BLOCKED'), 93_001);
    await say('/factory cancel', task.issueNumber);
    const result = await running;

    expect(result.status).toBe('cancelled');
    expect(result.error?.message).toContain('cancelled by @alice with /factory cancel');
    expect(labels.isDone() && reply.scope.isDone()).toBe(true);
    expect(await findTask(h.deps.db, task.id)).toMatchObject({
      state: 'BLOCKED',
      blockedReason: 'cancelled by @alice with /factory cancel',
    });
    expect((await agentRow(worker.id)).state).toBe('IDLE');
    // The run really ended early: the engine is gone, its pending request was dropped,
    // and the model was never asked for the turn after.
    await eventually(() => expect(engineChildren()).toEqual([]));
    await eventually(() =>
      expect(
        requestsOf('TASK-CANCEL-C').map((r) => [r.view.turnIndex, r.abandoned ?? false]),
      ).toEqual([
        [0, false],
        [1, true],
      ]),
    );
    const [run] = await h.deps.db
      .select()
      .from(agentRuns)
      .where(and(eq(agentRuns.agentId, worker.id), eq(agentRuns.purpose, 'implement')));
    expect(run?.status).toBe('cancelled');
  });
});
