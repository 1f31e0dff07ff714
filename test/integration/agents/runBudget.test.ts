import path from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentRunner } from '../../../src/agents/runtime/runner.js';
import { createSubIssues } from '../../../src/agents/supervisor/createSubIssues.js';
import { planEpic } from '../../../src/agents/supervisor/planEpic.js';
import { implementTask } from '../../../src/agents/worker/implementTask.js';
import { getAgent } from '../../../src/db/agents.js';
import { getEpic } from '../../../src/db/epics.js';
import { agentRuns, modelUsage } from '../../../src/db/schema.js';
import { getTask, listTasksOfEpic } from '../../../src/db/tasks.js';
import type { BudgetCut } from '../../../src/agents/runtime/modelProxy/budgetDecision.js';
import type { AgentRunRequest, AgentRunResult } from '../../../src/agents/runtime/types.js';
import { FakeAgentRunner } from '../../support/flow/fakeAgentRunner.js';
import { createFlowHarness, type FlowHarness } from '../../support/flow/flowHarness.js';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../support/scriptedModel/index.js';

/**
 * The budget test of issue #13: a worker on the real, jailed Claude Code
 * engine whose model keeps asking for one more command. The model proxy
 * cuts it at the task's token budget (budget.task.tokens), the run ends, the
 * task is parked BLOCKED with a comment naming the budget, and the usage rows
 * recorded are exactly what the scripted model served — counted there too.
 */

const ref = { installationId: 1, owner: 'acme', repo: 'app' };
const job = { id: 'budget-job', attemptsMade: 0, opts: { attempts: 3 } };
const title = 'Count forever (BUDGET-7c1)';
const worker = match.systemIncludes('# You are a Factory worker');
/** Each answer: 1,000 tokens in, 100 out. The cap of 3,500 lets four through, refuses the fifth. */
const perAnswer = { input_tokens: 1000, output_tokens: 100 };
const taskTokens = 3500;

describe('a run that keeps asking the model', { timeout: 300_000 }, () => {
  let model: ScriptedModel;
  let harness: FlowHarness;

  beforeAll(async () => {
    model = await startScriptedModel();
    model.script(
      match.all(match.offersTool('mcp__factory__submit_plan'), match.promptIncludes(title)),
      [
        turn.factoryTool('submit_plan', {
          summary: 'One task that never ends.',
          tasks: [
            {
              key: 'forever',
              title,
              description: 'Keep counting.',
              acceptanceCriteria: ['never'],
              dependsOn: [],
            },
          ],
        }),
        turn.text('Planned.'),
      ],
    );
    model.script(
      match.all(worker, match.promptIncludes(title)),
      Array.from({ length: 40 }, (_, step) =>
        turn.toolUse('Bash', { command: `echo step ${step}` }, { usage: perAnswer }),
      ),
    );
    harness = await createFlowHarness({
      agents: ({ db, temp }) =>
        createAgentRunner({
          db,
          log: pino({ level: 'silent' }),
          model: { apiKey: 'sk-scripted', baseUrl: model.url },
          env: { ...process.env, IS_SANDBOX: '1' },
          agentHome: path.join(temp, 'agent-home'),
          timeoutMs: 170_000,
          maxTurns: 60,
          engineRetries: 0,
          retry: { attempts: 1, baseDelayMs: 10 },
        }),
      config: ['test: "true"', 'budget:', '  task:', `    tokens: ${taskTokens}`].join('\n'),
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await model?.close();
  });

  it('is cut by the proxy at the task budget; the task is parked with the reason; usage equals what was served', async () => {
    const epic = await harness.createEpic('Forever', `${title}, please.`);
    const payload = { epicId: epic.id, ...ref };
    expect(await planEpic(harness.flow, payload, job)).toBe('planned');
    expect(await createSubIssues(harness.flow, payload)).toBe('created');
    const [claimed] = await listTasksOfEpic(harness.deps.db, epic.id);
    expect(claimed?.state).toBe('ASSIGNED');

    const outcome = await implementTask(
      harness.flow,
      { taskId: claimed!.id, ...ref, attempt: claimed!.attempts },
      job,
    );
    expect(outcome).toBe('cancelled');

    // The scripted model served four answers to the worker; the fifth request never reached it.
    const served = model
      .messageRequests()
      .filter((r) => worker.test(r.view) && r.view.promptText.includes(title));
    expect(served.map((r) => r.outcome)).toEqual(['reply', 'reply', 'reply', 'reply']);
    expect(served.map((r) => r.view.turnIndex)).toEqual([0, 1, 2, 3]);

    // The run ended on the budget, not as the agent's failure.
    const task = await getTask(harness.deps.db, claimed!.id);
    expect(task.state).toBe('BLOCKED');
    expect(task.attempts).toBe(1);
    const runs = await harness.deps.db
      .select()
      .from(agentRuns)
      .where(eq(agentRuns.purpose, 'implement'));
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe('failed');
    expect(runs[0]?.error).toMatch(
      /^budget: Budget reached: the task has 4,400 tokens used of its 3,500 token budget \(budget\.task\.tokens in \.github\/factory\.yml\)/,
    );
    expect((await getAgent(harness.deps.db, task.assignedAgentId!)).state).toBe('IDLE');

    const comments = harness.github.commentsOn(task.issueNumber);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('Parked: the task budget is reached.');
    expect(comments[0]?.body).toContain('4,400 tokens used of its 3,500 token budget');
    expect(comments[0]?.body).toContain('`budget.task.tokens`');
    expect(comments[0]?.body).toContain('/factory retry');
    // A task budget is not the epic's: the epic goes on.
    expect((await getEpic(harness.deps.db, epic.id)).pausedAt).toBeNull();

    // Recorded usage is exactly what the scripted model served, request for request.
    const rows = await harness.deps.db
      .select()
      .from(modelUsage)
      .where(eq(modelUsage.taskId, task.id))
      .orderBy(modelUsage.id);
    expect(rows).toHaveLength(served.length);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(sum(rows.map((row) => row.inputTokens))).toBe(
      sum(served.map((r) => r.reply!.usage.input_tokens)),
    );
    expect(sum(rows.map((row) => row.outputTokens))).toBe(
      sum(served.map((r) => r.reply!.usage.output_tokens)),
    );
    expect(rows.every((row) => row.runId === runs[0]?.id && row.epicId === epic.id)).toBe(true);
  });
});

/** A worker whose every run the proxy cut at the epic's budget (what the runner reports then). */
class CutAtEpicBudget extends FakeAgentRunner {
  override async run(request: AgentRunRequest): Promise<AgentRunResult> {
    if (request.role !== 'worker') return super.run(request);
    this.requests.push(request);
    const cut: BudgetCut = {
      scope: 'epic',
      limit: 'usd',
      spent: 1.25,
      budget: 1,
      setting: 'budget.usd in .github/factory.yml',
      message:
        'Budget reached: the epic has $1.2500 spent of its $1.00 budget (budget.usd in .github/factory.yml).',
    };
    return {
      status: 'failed',
      runId: 1,
      text: '',
      numTurns: 3,
      usage: {
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        costUsd: 0,
      },
      error: { kind: 'budget', message: cut.message, retryable: false },
      budgetCut: cut,
    };
  }
}

describe('a run cut at the epic budget', { timeout: 120_000 }, () => {
  let harness: FlowHarness;
  const agents = new CutAtEpicBudget({
    summary: 'One task.',
    tasks: [
      { key: 'a', title: 'Spend', description: 'x', acceptanceCriteria: ['y'], dependsOn: [] },
    ],
  });

  beforeAll(async () => {
    harness = await createFlowHarness({
      agents,
      config: ['test: "true"', 'budget:', '  usd: 1'].join('\n'),
    });
  });
  afterAll(() => harness?.close());

  it('parks the task and pauses the epic, each with a comment naming the budget', async () => {
    const epic = await harness.createEpic('Spender', 'Spend it all.');
    const payload = { epicId: epic.id, ...ref };
    expect(await planEpic(harness.flow, payload, job)).toBe('planned');
    expect(await createSubIssues(harness.flow, payload)).toBe('created');
    const [claimed] = await listTasksOfEpic(harness.deps.db, epic.id);
    const outcome = await implementTask(
      harness.flow,
      { taskId: claimed!.id, ...ref, attempt: claimed!.attempts },
      job,
    );
    expect(outcome).toBe('cancelled');
    // The worker's run carried the repository's budgets to the proxy.
    expect(agents.workerRuns(claimed!.id)[0]?.budgets).toEqual({
      task: undefined,
      epic: { usd: 1, tokens: undefined },
    });

    const task = await getTask(harness.deps.db, claimed!.id);
    expect(task.state).toBe('BLOCKED');
    expect(harness.github.commentsOn(task.issueNumber).map((c) => c.body)).toEqual([
      expect.stringContaining('Parked: the epic budget is reached.'),
    ]);
    const paused = await getEpic(harness.deps.db, epic.id);
    expect(paused.pausedAt).not.toBeNull();
    expect(paused.pausedReason).toBe('budget reached: the epic spent $1.25 of its $1.00 budget');
    const onEpic = harness.github.commentsOn(epic.issueNumber).map((c) => c.body);
    expect(onEpic.filter((body) => body.includes('**Paused: budget reached.**'))).toHaveLength(1);
    expect(onEpic.join('\n')).toContain('`budget.usd` in `.github/factory.yml`');
  });
});
