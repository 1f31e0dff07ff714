import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asc, eq, inArray } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHealthCheck } from '../../../../src/agents/orchestrator/health/healthCheck.js';
import { orchestratorDeps } from '../../../../src/agents/orchestrator/orchestratorDeps.js';
import { implementTaskJobId } from '../../../../src/agents/worker/implementJob.js';
import { createAgentRunner } from '../../../../src/agents/runtime/runner.js';
import type { AgentRunner } from '../../../../src/agents/runtime/types.js';
import { agentRuns, agents, decisionLog, epics, tasks } from '../../../../src/db/schema.js';
import { taskWorktreePath } from '../../../../src/git/layout.js';
import {
  createFlowHarness,
  flowBot,
  flowToken,
  waitFor,
  type FlowHarness,
} from '../../../support/flow/flowHarness.js';
import { fileAt, remoteBranches } from '../../../support/git/localRemote.js';
import { testRedisUrl } from '../../../support/redis.js';
import {
  match,
  startScriptedModel,
  turn,
  type ModelRequest,
  type ScriptedModel,
} from '../../../support/scriptedModel/index.js';

/**
 * Issue 8, point 7, with nothing standing in for the worker: the real
 * `implement-task` job runs the real agent runner (the Claude Code engine
 * against the scripted model) in a worker process of its own, which is
 * SIGKILLed — engine and all — while the agent waits for the model. No
 * heartbeat comes and the job's lock lapses; the orchestrator's health pass
 * finds the dead agent, re-queues the task as attempt 2, and a live worker
 * completes it, resuming the dead agent's session: one branch, one PR.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const marker = 'KILLTEST-7';
const config = [
  'setup: "true"',
  "test: \"grep -q 'first half' work.txt && grep -q 'second half' work.txt\"",
  'maxAttempts: 3',
].join('\n');

let model: ScriptedModel;
let harness: FlowHarness;
let agentHome: string;
let child: ChildProcess | undefined;
let childOutput = '';

beforeAll(async () => {
  model = await startScriptedModel();
  agentHome = mkdtempSync(path.join(tmpdir(), 'factory-kill-home-'));
  // The runner writes to the harness's database, which exists only once the harness does.
  const made: { runner?: ReturnType<typeof createAgentRunner> } = {};
  const live = () => {
    if (!made.runner) throw new Error('runner not ready');
    return made.runner;
  };
  const agentsProxy: AgentRunner = {
    run: (request) => live().run(request),
    runStructured: (request, submit) => live().runStructured(request, submit),
    sessionTranscriptExists: (sessionId, cwd) => live().sessionTranscriptExists(sessionId, cwd),
  };
  harness = await createFlowHarness({ agents: agentsProxy, config });
  made.runner = createAgentRunner({
    db: harness.deps.db,
    log: pino({ level: 'silent' }),
    model: { apiKey: 'sk-scripted', baseUrl: model.url },
    env: { ...process.env, IS_SANDBOX: '1' },
    // Generous: under a loaded machine the engine alone can take a minute to start.
    timeoutMs: 170_000,
    maxTurns: 20,
    heartbeatIntervalMs: 0,
    engineRetries: 0,
    retry: { attempts: 1, baseDelayMs: 10 },
    agentHome,
  });
}, 60_000);

afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid, 'SIGKILL');
  }
  // The model first: a request it still holds open would keep a job, and so the close, waiting.
  await model?.close();
  await harness?.close();
  if (agentHome) rmSync(agentHome, { recursive: true, force: true });
});

function startWorkerProcess(): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'support/realWorkerProcess.ts')],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        IS_SANDBOX: '1',
        DATABASE_URL: harness.databaseUrl,
        REDIS_URL: testRedisUrl,
        REDIS_PREFIX: harness.deps.env.REDIS_PREFIX,
        WORKTREE_DIR: harness.worktreeRoot,
        KILL_TEST_CLONE_URL: `${harness.gitServer.baseUrl}/app.git`,
        KILL_TEST_TOKEN: flowToken,
        KILL_TEST_BOT: flowBot,
        KILL_TEST_CONFIG: config,
        KILL_TEST_MODEL_URL: model.url,
        KILL_TEST_AGENT_HOME: agentHome,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: the kill takes the engine it started with it, as a crash would.
      detached: true,
    },
  );
  return new Promise((resolve, reject) => {
    proc.stderr?.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
    proc.stdout?.on('data', (chunk: Buffer) => {
      childOutput += chunk.toString();
      if (childOutput.includes('READY')) resolve(proc);
    });
    proc.once('exit', (code, signal) =>
      reject(new Error(`worker process exited (${code ?? signal}): ${childOutput}`)),
    );
  });
}

describe('a worker killed mid-run', { timeout: 400_000 }, () => {
  it('is found by the health pass; its task is re-queued, resumed in the same session and completed: one branch, one PR', async () => {
    const epic = await harness.createEpic('Write the work file', 'One task.');
    await harness.deps.db
      .update(epics)
      .set({ state: 'IN_PROGRESS', baseBranch: 'main' })
      .where(eq(epics.id, epic.id));
    const taskIssue = harness.github.createIssue(
      { title: 'Write the work file', body: marker },
      'maintainer',
    );
    const [task] = await harness.deps.db
      .insert(tasks)
      .values({
        epicId: epic.id,
        issueNumber: taskIssue.number,
        issueId: taskIssue.id,
        title: 'Write the work file',
        description: `${marker}: write work.txt in two halves.`,
      })
      .returning();
    if (!task) throw new Error('no task');
    const worktree = taskWorktreePath(
      { root: harness.worktreeRoot, owner: 'acme', repo: 'app' },
      epic.issueNumber,
      task.issueNumber,
    );

    // The agent writes half its work, then waits on the model — where the crash catches it.
    // Resumed, it hears "you were interrupted", writes the second half and finishes. A resumed
    // session carries a marker of the cut-off request, which shifts the turn index, so each
    // answer is chosen by what the conversation holds, not by its position.
    const interrupted = (promptText: string) => promptText.includes('You were interrupted');
    const holds = (request: ModelRequest, text: string) =>
      JSON.stringify(request.body.messages).includes(text);
    const step = turn.dynamic((request) => {
      if (!interrupted(request.promptText)) {
        return holds(request, '> work.txt')
          ? turn.hang()
          : turn.toolUse('Bash', { command: 'echo "first half" > work.txt' });
      }
      return holds(request, '>> work.txt')
        ? turn.text('Wrote work.txt in two halves.')
        : turn.toolUse('Bash', { command: 'echo "second half" >> work.txt' });
    });
    model.script(
      match.promptIncludes(marker),
      Array.from({ length: 10 }, () => step),
    );

    child = await startWorkerProcess();
    const dispatched = await harness.flow.dispatch();
    expect(dispatched.enqueued).toEqual([task.id]);
    await model.waitForRequest((r) => r.outcome === 'hang', 170_000);
    expect(readFileSync(path.join(worktree, 'work.txt'), 'utf8')).toBe('first half\n');
    const [firstRun] = await runsOf(task.id);
    expect(firstRun).toMatchObject({ status: 'running', agentState: 'BUSY' });
    expect(firstRun?.sessionId).toBeTruthy();

    const pid = child.pid;
    if (pid === undefined) throw new Error('no pid');
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    process.kill(-pid, 'SIGKILL');
    await exited;

    // Health passes until the lock lapses (2 s): the heartbeat timeout (300 s) is never waited for.
    const deps = orchestratorDeps(harness.deps, {
      repoConfigs: (e) => harness.flow.repoConfig(e),
    });
    const report = await waitFor(
      'the health pass to find the dead agent',
      async () => {
        const pass = await runHealthCheck(deps);
        return pass.deadAgents.length > 0 && pass;
      },
      30_000,
    );
    expect(report.deadAgents).toEqual([
      expect.objectContaining({ taskId: task.id, recovery: 'requeue' }),
    ]);
    expect(report.deadAgents[0]?.cause).toMatch(/stalled/);
    expect(report.allocation.dispatched).toEqual([task.id]);
    // Re-queued, then claimed for attempt 2 by the same pass's allocation.
    expect(await taskRow(task.id)).toMatchObject({ state: 'ASSIGNED', attempts: 2 });

    // A live worker (this process, the same real runner and agents' home) takes attempt 2.
    harness.startWorkers();
    const done = await waitFor(
      'the task in review',
      async () => {
        // The attempt's job finished (the task reads REVIEW a moment before its last records).
        const job = await harness.deps.queues.queue('task').getJob(implementTaskJobId(task.id, 2));
        if ((await job?.getState()) !== 'completed') return undefined;
        return taskRow(task.id);
      },
      200_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; ${await whatHappened(task.id)}`);
    });
    expect(done).toMatchObject({ attempts: 2, state: 'REVIEW' });

    // Exactly one branch and one PR, holding both halves of the work.
    const branch = done.branch ?? '';
    expect(remoteBranches(harness.bare).sort()).toEqual(['main', branch].sort());
    const pulls = harness.github.pulls();
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.pull?.head).toBe(branch);
    expect(done.prNumber).toBe(pulls[0]?.number);
    expect(fileAt(harness.bare, branch, 'work.txt')).toBe('first half\nsecond half\n');

    // Attempt 2 resumed the dead run's session: same session, the "interrupted" turn, the
    // conversation's history (turn 1, the task prompt) sent along with it.
    const runs = await runsOf(task.id);
    expect(runs).toHaveLength(2);
    // The dead run: its agent buried and its record closed by the health pass.
    expect(runs[0]).toMatchObject({ status: 'failed', agentState: 'FAILED' });
    expect(runs[0]?.error).toMatch(/^agent died: /);
    expect(runs[1]).toMatchObject({ status: 'succeeded', sessionId: firstRun?.sessionId });
    expect(runs[1]?.prompt).toContain('You were interrupted');
    expect(runs[1]?.agentId).not.toBe(runs[0]?.agentId);
    const resumed = model.messageRequests().filter((r) => interrupted(r.view.promptText));
    expect(resumed[0]?.view.turnIndex).toBeGreaterThan(0);
    expect(resumed[0]?.view.promptText).toContain(marker);
    expect(JSON.stringify(resumed[0]?.view.body.messages)).toContain('echo \\"first half\\"');
    // Not a fresh start: the task prompt was sent once, by attempt 1.
    const fresh = model.messageRequests().filter((r) => r.view.turnIndex === 0);
    expect(fresh).toHaveLength(1);
    expect(model.messageRequests().filter((r) => r.outcome === 'unmatched')).toEqual([]);

    const decisions = await harness.deps.db
      .select({ decision: decisionLog.decision })
      .from(decisionLog)
      .where(eq(decisionLog.taskId, task.id))
      .orderBy(asc(decisionLog.id));
    expect(decisions.map((d) => d.decision)).toEqual(
      expect.arrayContaining([
        'agent-dead:requeue',
        `attempt 2 of task #${task.issueNumber} resumes the interrupted session`,
        `opened PR #${done.prNumber} for task #${task.issueNumber}`,
      ]),
    );
  });
});

async function taskRow(id: number) {
  const [row] = await harness.deps.db.select().from(tasks).where(eq(tasks.id, id));
  if (!row) throw new Error(`no task ${id}`);
  return row;
}

/** The task's worker runs, oldest first, with the state of the agent each belongs to. */
async function runsOf(taskId: number) {
  const workers = await harness.deps.db
    .select({ id: agents.id })
    .from(agents)
    .where(eq(agents.taskId, taskId));
  if (workers.length === 0) return [];
  return harness.deps.db
    .select({
      agentId: agentRuns.agentId,
      status: agentRuns.status,
      sessionId: agentRuns.sessionId,
      prompt: agentRuns.prompt,
      error: agentRuns.error,
      agentState: agents.state,
    })
    .from(agentRuns)
    .innerJoin(agents, eq(agents.id, agentRuns.agentId))
    .where(
      inArray(
        agentRuns.agentId,
        workers.map((w) => w.id),
      ),
    )
    .orderBy(asc(agentRuns.id));
}

/** For a failure message: the model's requests, the task's runs and decisions. */
async function whatHappened(taskId: number): Promise<string> {
  const requests = model.messageRequests().map((r) => ({
    turn: r.view.turnIndex,
    outcome: r.outcome,
    prompt: r.view.promptText.slice(-300),
  }));
  const runs = (await runsOf(taskId)).map(({ prompt: _p, ...run }) => run);
  const decisions = await harness.deps.db
    .select({ decision: decisionLog.decision, reasoning: decisionLog.reasoning })
    .from(decisionLog)
    .where(eq(decisionLog.taskId, taskId));
  return JSON.stringify({ task: await taskRow(taskId), requests, runs, decisions }, null, 1);
}
