import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
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
import { createFlowHarness, type FlowHarness } from '../../support/flow/flowHarness.js';
import { githubApi } from '../../support/github.js';
import { testRedisUrl } from '../../support/redis.js';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../support/scriptedModel/index.js';

/**
 * `/factory cancel` on a task whose worker job is running the real Claude Code
 * engine (against the scripted model, which holds the second turn open): the
 * cancel reaches the run through Redis, the engine ends, the job records the
 * task as stopped without retrying, and GitHub shows it (label and comment).
 */

const ref = { installationId: 1, owner: 'acme', repo: 'app' };

let model: ScriptedModel;
let harness: FlowHarness;
let runner: AgentRunner | undefined;
let listener: AgentCancelListener;

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
    .get('/repos/acme/app/collaborators/alice/permission')
    .reply(200, { permission: 'admin', role_name: 'admin', user: { login: 'alice' } });
}, 120_000);

afterAll(async () => {
  await listener?.close();
  await harness?.close();
  await model?.close();
});

describe('/factory cancel on a running worker', { timeout: 300_000 }, () => {
  it('stops the engine mid-run; the job ends the task BLOCKED, labelled and told, and does not retry', async () => {
    const epic = await harness.createEpic('Greetings', 'Add a greeting.');
    await harness.deps.db
      .update(epics)
      .set({ state: 'IN_PROGRESS', plan: { tasks: [] }, planApprovedAt: new Date() })
      .where(eq(epics.id, epic.id));
    const issue = harness.github.createIssue({ title: 'Write the greeting' });
    const [task] = await harness.deps.db
      .insert(tasks)
      .values({
        epicId: epic.id,
        issueNumber: issue.number,
        issueId: issue.id,
        title: 'Write the greeting TASK-CANCEL-J',
        state: 'ASSIGNED',
        attempts: 1,
      })
      .returning();
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

    // A maintainer comments `/factory cancel` on the task; intake recorded it, the mail job handles it.
    const commentId = 880_001;
    await recordIncomingComment(harness.deps.db, {
      commentId,
      fromHuman: 'alice',
      subject: `Comment on #${issue.number}`,
      body: '/factory cancel',
    });
    const handle = mailProcessors(harness.deps, { startWaitingTasks: () => Promise.resolve() })[
      'handle-comment'
    ]!;
    await handle(
      {
        ...ref,
        repoId: epic.repoId,
        deliveryId: 'delivery-cancel',
        issueNumber: issue.number,
        commentId,
        commentKind: 'issue',
      },
      { attemptsMade: 0 } as never,
    );

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
    expect(harness.github.pulls()).toHaveLength(0);
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
    await eventually(() => expect(engineChildren()).toEqual([]));
    await eventually(() =>
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
