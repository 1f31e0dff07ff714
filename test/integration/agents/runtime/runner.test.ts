import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DatabaseHandle } from '../../../../src/db/connection.js';
import {
  agentRuns,
  agents,
  decisionLog,
  modelUsage,
  type AgentKind,
} from '../../../../src/db/schema.js';
import {
  publishAgentCancel,
  startAgentCancelListener,
  type AgentCancelListener,
} from '../../../../src/agents/runtime/cancellation.js';
import { createAgentRunner } from '../../../../src/agents/runtime/runner.js';
import type { AgentRunRequest } from '../../../../src/agents/runtime/types.js';
import { createTestDatabase } from '../../../support/database.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../../../support/redis.js';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../../support/scriptedModel/index.js';
import { engineChildren, eventuallyHolds } from '../../../support/engineProcesses.js';

/**
 * The runner driving the real Claude Code engine against the scripted model:
 * each test scripts what "the model" does and checks what really happened on
 * disk, in the database and in the requests the engine sent.
 */

const secrets = {
  PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----SECRET-PRIVATE-KEY',
  WEBHOOK_SECRET: 'SECRET-WEBHOOK',
  DATABASE_URL: 'postgres://SECRET-DATABASE@db/factory',
  REDIS_URL: 'redis://SECRET-REDIS@cache:6379',
  GITHUB_TOKEN: 'ghs_SECRETGITHUBTOKEN',
  GH_TOKEN: 'gho_SECRETGHTOKEN',
  NPM_TOKEN: 'SECRET-NPM-TOKEN',
};

let model: ScriptedModel;
let database: DatabaseHandle;
let scratch: string;
let redisPrefix: string;
let listener: AgentCancelListener;

beforeAll(async () => {
  [model, database] = await Promise.all([startScriptedModel(), createTestDatabase('postgres')]);
  scratch = mkdtempSync(path.join(tmpdir(), 'factory-runner-'));
  redisPrefix = testRedisPrefix('runner');
  listener = await startAgentCancelListener({ redisUrl: testRedisUrl, prefix: redisPrefix });
});

afterAll(async () => {
  await listener?.close();
  await model?.close();
  await database?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (redisPrefix) await deleteRedisPrefix(redisPrefix);
});

function runner(overrides: Partial<Parameters<typeof createAgentRunner>[0]> = {}) {
  return createAgentRunner({
    db: database.db,
    log: pino({ level: 'silent' }),
    model: { apiKey: 'sk-scripted', baseUrl: model.url },
    env: { ...process.env, ...secrets, IS_SANDBOX: '1', SAMPLE_SETTING: 'visible-to-agent' },
    // Generous: under a loaded machine the engine alone can take a minute to start.
    timeoutMs: 170_000,
    maxTurns: 20,
    heartbeatIntervalMs: 0,
    engineRetries: 0,
    retry: { attempts: 1, baseDelayMs: 10 },
    ...overrides,
  });
}

async function newAgent(kind: AgentKind): Promise<number> {
  const [row] = await database.db.insert(agents).values({ kind }).returning({ id: agents.id });
  return row!.id;
}

async function agentRow(id: number) {
  const [row] = await database.db.select().from(agents).where(eq(agents.id, id));
  return row!;
}

/** A fresh git repository with one commit, standing in for a task's worktree. */
function gitRepository(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(dir, 'README.md'), '# sample\n');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init');
  return dir;
}

function request(role: AgentKind, agentId: number, cwd: string, marker: string): AgentRunRequest {
  return {
    role,
    agentId,
    purpose: 'implement',
    cwd,
    systemPrompt: `You are the ${role}.`,
    prompt: `Do ${marker}.`,
    model: 'claude-sonnet-4-5',
    context: {},
  };
}

function toolResultsOf(marker: string) {
  return model
    .messageRequests()
    .filter((r) => r.view.promptText.includes(marker))
    .flatMap((r) => r.view.toolResults);
}

describe('worker', { timeout: 300_000 }, () => {
  it('creates and edits files and runs a shell command through real tool calls', async () => {
    const repo = gitRepository('worker-edit');
    const file = path.join(repo, 'src', 'greet.ts');
    model.script(match.promptIncludes('TASK-EDIT'), [
      turn.toolUse('Write', { file_path: file, content: 'export const greet = () => "hello";\n' }),
      turn.toolUse('Edit', {
        file_path: file,
        old_string: '"hello"',
        new_string: '"hello, world"',
      }),
      turn.toolUse('Bash', { command: 'git add -A && git status --short' }),
      turn.text('Implemented greet.', {
        usage: { input_tokens: 300, output_tokens: 40, cache_read_input_tokens: 50 },
      }),
    ]);
    const agentId = await newAgent('worker');
    const result = await runner().run({
      ...request('worker', agentId, repo, 'TASK-EDIT'),
      context: {},
    });

    expect(result).toMatchObject({ status: 'succeeded', text: 'Implemented greet.' });
    expect(readFileSync(file, 'utf8')).toBe('export const greet = () => "hello, world";\n');
    const results = toolResultsOf('TASK-EDIT');
    expect(results).toHaveLength(3);
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(results[2]?.content).toContain('A  src/greet.ts');

    const agent = await agentRow(agentId);
    expect(agent.state).toBe('IDLE');
    expect(agent.sessionId).toBe(result.sessionId);
    expect(agent.lastHeartbeatAt).not.toBeNull();
    const [run] = await database.db.select().from(agentRuns).where(eq(agentRuns.id, result.runId));
    expect(run).toMatchObject({
      status: 'succeeded',
      sessionId: result.sessionId,
      purpose: 'implement',
    });
    expect(run?.prompt).toContain('You are the worker.');
    expect(run?.prompt).toContain('Do TASK-EDIT.');
  });

  it('is refused a write and a command aimed outside its worktree', async () => {
    const repo = gitRepository('worker-outside');
    const outside = path.join(scratch, 'outside-worker');
    mkdirSync(outside);
    model.script(match.promptIncludes('TASK-ESCAPE'), [
      turn.toolUse('Write', { file_path: path.join(outside, 'planted.txt'), content: 'x' }),
      turn.toolUse('Write', {
        file_path: path.join(repo, '..', 'outside-worker', 'dotdot.txt'),
        content: 'x',
      }),
      turn.toolUse('Bash', { command: `cd ${outside} && touch shell.txt` }),
      turn.toolUse('Bash', { command: `echo x > ${path.join(outside, 'redirect.txt')}` }),
      turn.toolUse('Bash', { command: 'cat /proc/1/environ' }),
      turn.toolUse('Write', { file_path: path.join(repo, 'inside.txt'), content: 'fine' }),
      turn.text('tried'),
    ]);
    const agentId = await newAgent('worker');
    const result = await runner().run(request('worker', agentId, repo, 'TASK-ESCAPE'));

    expect(result.status).toBe('succeeded');
    const results = toolResultsOf('TASK-ESCAPE');
    expect(results.slice(0, 5).map((r) => r.isError)).toEqual([true, true, true, true, true]);
    expect(results.slice(0, 5).every((r) => r.content.includes('Refused'))).toBe(true);
    expect(results[5]?.isError).toBe(false);
    expect(readFileSync(path.join(repo, 'inside.txt'), 'utf8')).toBe('fine');
    for (const name of ['planted.txt', 'dotdot.txt', 'shell.txt', 'redirect.txt']) {
      expect(existsSync(path.join(outside, name)), name).toBe(false);
    }
  });

  it("runs `env` and sees none of the app's secrets", async () => {
    const repo = gitRepository('worker-env');
    model.script(match.promptIncludes('TASK-ENV'), [
      turn.toolUse('Bash', { command: 'env' }),
      turn.text('looked'),
    ]);
    const agentId = await newAgent('worker');
    const result = await runner().run({
      ...request('worker', agentId, repo, 'TASK-ENV'),
      allowedEnv: { SAMPLE_SETTING: 'visible-to-agent', DEPLOY_TOKEN: 'SECRET-DEPLOY' },
    });

    expect(result.status).toBe('succeeded');
    const output = toolResultsOf('TASK-ENV')[0]?.content ?? '';
    expect(output).toContain('SAMPLE_SETTING=visible-to-agent');
    // The model is the jail's relay on its own loopback; the key stays with the app.
    expect(output).toMatch(/^ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(output).not.toContain('sk-scripted');
    expect(output).toMatch(/^PATH=/m);
    expect(output).not.toContain('SECRET');
    for (const name of [...Object.keys(secrets), 'DEPLOY_TOKEN']) {
      expect(output).not.toMatch(new RegExp(`^${name}=`, 'm'));
    }
  });
});

describe('supervisor', { timeout: 300_000 }, () => {
  const planSchema = z.object({
    summary: z.string().min(1),
    tasks: z
      .array(
        z.object({
          key: z.string().min(1),
          title: z.string().min(1),
          dependsOn: z.array(z.string()),
        }),
      )
      .min(1),
  });
  const submit = {
    toolName: 'submit_plan',
    description: 'Submit the plan for the epic.',
    schema: planSchema,
  };
  const plan = {
    summary: 'Two steps',
    tasks: [
      { key: 'a', title: 'Add greet', dependsOn: [] },
      { key: 'b', title: 'Use greet', dependsOn: ['a'] },
    ],
  };

  it('returns a schema-valid plan through its submit tool, after reading the code', async () => {
    const repo = gitRepository('supervisor-plan');
    model.script(match.promptIncludes('EPIC-PLAN'), [
      turn.toolUse('Read', { file_path: path.join(repo, 'README.md') }),
      turn.factoryTool('submit_plan', plan),
      turn.text('Planned.'),
    ]);
    const agentId = await newAgent('supervisor');
    const result = await runner().runStructured(
      request('supervisor', agentId, repo, 'EPIC-PLAN'),
      submit,
    );

    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual(plan);
    const requests = model.messageRequests().filter((r) => r.view.promptText.includes('EPIC-PLAN'));
    expect(requests[0]?.view.toolNames.sort()).toEqual([
      'Glob',
      'Grep',
      'Read',
      'mcp__factory__submit_plan',
    ]);
    expect(requests[1]?.view.lastToolResult?.content).toContain('# sample');
  });

  it('gets one corrective turn for an invalid plan', async () => {
    const repo = gitRepository('supervisor-correct');
    model.script(match.promptIncludes('EPIC-CORRECT'), [
      turn.factoryTool('submit_plan', { summary: 'oops', tasks: [] }),
      turn.factoryTool('submit_plan', plan),
      turn.text('Planned.'),
    ]);
    const agentId = await newAgent('supervisor');
    const result = await runner().runStructured(
      request('supervisor', agentId, repo, 'EPIC-CORRECT'),
      submit,
    );

    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual(plan);
    const correction = toolResultsOf('EPIC-CORRECT')[0];
    expect(correction?.isError).toBe(true);
    expect(correction?.content).toContain('tasks');
  });

  it('fails with the reason when the plan is still invalid after the correction', async () => {
    const repo = gitRepository('supervisor-invalid');
    model.script(match.promptIncludes('EPIC-INVALID'), [
      turn.factoryTool('submit_plan', { summary: 'oops', tasks: [] }),
      turn.factoryTool('submit_plan', { summary: '', tasks: [] }),
      turn.text('never reached'),
    ]);
    const agentId = await newAgent('supervisor');
    const result = await runner().runStructured(
      request('supervisor', agentId, repo, 'EPIC-INVALID'),
      submit,
    );

    expect(result.status).toBe('failed');
    expect(result.output).toBeUndefined();
    expect(result.error).toMatchObject({ kind: 'invalid_output', retryable: false });
    expect(result.error?.message).toContain('invalid result twice');
    expect(result.error?.message).toContain('summary');
    const agent = await agentRow(agentId);
    expect(agent.state).toBe('FAILED');
    const decisions = await database.db
      .select()
      .from(decisionLog)
      .where(eq(decisionLog.agentId, agentId));
    expect(decisions.map((d) => d.reasoning).join()).toContain('invalid result twice');
  });

  it('is refused when it tries to write or run a command', async () => {
    const repo = gitRepository('supervisor-write');
    model.script(match.promptIncludes('EPIC-WRITE'), [
      turn.toolUse('Write', { file_path: path.join(repo, 'hacked.txt'), content: 'x' }),
      turn.toolUse('Bash', { command: `touch ${path.join(repo, 'shell.txt')}` }),
      turn.text('could not'),
    ]);
    const agentId = await newAgent('supervisor');
    const result = await runner().run(request('supervisor', agentId, repo, 'EPIC-WRITE'));

    expect(result.status).toBe('succeeded');
    expect(existsSync(path.join(repo, 'hacked.txt'))).toBe(false);
    expect(existsSync(path.join(repo, 'shell.txt'))).toBe(false);
    expect(toolResultsOf('EPIC-WRITE').map((r) => r.isError)).toEqual([true, true]);
  });
});

describe('limits and failures', { timeout: 300_000 }, () => {
  it('ends a hung model at the timeout with a clear failure and stops the engine', async () => {
    const repo = gitRepository('timeout');
    model.script(match.promptIncludes('TASK-HANG'), [turn.hang()]);
    const agentId = await newAgent('worker');
    const result = await runner().run({
      ...request('worker', agentId, repo, 'TASK-HANG'),
      timeoutMs: 15_000,
    });

    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'timeout', retryable: false });
    expect(result.error?.message).toMatch(/longer than 15 s/);
    // The engine is gone: no Claude Code process is left under this test process, and
    // if the hung request had arrived, its connection was dropped.
    await eventuallyHolds(() => expect(engineChildren()).toEqual([]));
    const hung = model.messageRequests().filter((r) => r.view.promptText.includes('TASK-HANG'));
    await eventuallyHolds(() => expect(hung.every((r) => r.abandoned === true)).toBe(true));
    const agent = await agentRow(agentId);
    expect(agent).toMatchObject({ state: 'FAILED' });
    expect(agent.failureReason).toMatch(/longer than/);
  });

  it("is cancelled through Redis from another process's point of view, and the agent goes back to IDLE", async () => {
    const repo = gitRepository('cancel');
    model.script(match.promptIncludes('TASK-CANCEL'), [turn.hang()]);
    const agentId = await newAgent('worker');
    const running = runner().run(request('worker', agentId, repo, 'TASK-CANCEL'));
    await model.waitForRequest((r) => r.view?.promptText.includes('TASK-CANCEL') === true, 200_000);
    const publisher = new Redis(testRedisUrl);
    await publishAgentCancel(publisher, redisPrefix, agentId, 'cancelled by @maintainer');
    publisher.disconnect();
    const result = await running;

    expect(result.status).toBe('cancelled');
    expect(result.error?.message).toContain('cancelled by @maintainer');
    expect((await agentRow(agentId)).state).toBe('IDLE');
  });

  it('classifies a rate limit as retryable and an authentication failure as final', async () => {
    const repo = gitRepository('errors');
    model
      .script(match.promptIncludes('TASK-429'), [turn.error(429)])
      .script(match.promptIncludes('TASK-401'), [
        turn.error(401, { message: 'invalid x-api-key' }),
      ]);
    const [limited, refused] = await Promise.all([newAgent('worker'), newAgent('worker')]);
    const [rateLimit, auth] = await Promise.all([
      runner().run(request('worker', limited, repo, 'TASK-429')),
      runner().run(request('worker', refused, repo, 'TASK-401')),
    ]);

    expect(rateLimit.error).toMatchObject({ kind: 'rate_limit', retryable: true });
    expect(auth.error).toMatchObject({ kind: 'authentication', retryable: false });
    expect(auth.error?.message).toMatch(/API key/);
    expect((await agentRow(limited)).state).toBe('IDLE');
    expect((await agentRow(refused)).state).toBe('FAILED');
  });

  it('retries a run after a retryable error, with backoff, and succeeds', async () => {
    const repo = gitRepository('retry');
    model.script(match.promptIncludes('TASK-RETRY'), [
      turn.sequence(turn.error(529), turn.text('recovered')),
    ]);
    const agentId = await newAgent('worker');
    const result = await runner({ retry: { attempts: 3, baseDelayMs: 50 } }).run(
      request('worker', agentId, repo, 'TASK-RETRY'),
    );

    expect(result).toMatchObject({ status: 'succeeded', text: 'recovered' });
    expect(
      model
        .messageRequests()
        .filter((r) => r.view.promptText.includes('TASK-RETRY'))
        .map((r) => r.outcome),
    ).toEqual(['error', 'reply']);
  });

  it('stops at the maximum number of turns', async () => {
    const repo = gitRepository('max-turns');
    model.script(match.promptIncludes('TASK-LOOP'), [
      turn.toolUse('Bash', { command: 'true' }),
      turn.toolUse('Bash', { command: 'true' }),
      turn.toolUse('Bash', { command: 'true' }),
      turn.text('never'),
    ]);
    const agentId = await newAgent('worker');
    const result = await runner().run({
      ...request('worker', agentId, repo, 'TASK-LOOP'),
      maxTurns: 2,
    });

    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'max_turns', retryable: false });
  });
});

describe('orchestrator, usage and resume', { timeout: 300_000 }, () => {
  it('offers the orchestrator no code tools, only its Factory tools', async () => {
    const repo = gitRepository('orchestrator');
    const seen: string[] = [];
    model.script(match.promptIncludes('HEALTH-1'), [
      turn.toolUse('Bash', { command: 'echo hi' }),
      turn.factoryTool('report', { note: 'all well' }),
      turn.text('checked'),
    ]);
    const agentId = await newAgent('orchestrator');
    const result = await runner().run({
      ...request('orchestrator', agentId, repo, 'HEALTH-1'),
      tools: [
        {
          name: 'report',
          description: 'Report the health of the installation.',
          input: { note: z.string() },
          handler: async ({ note }) => {
            seen.push(String(note));
            return 'noted';
          },
        },
      ],
    });

    expect(result.status).toBe('succeeded');
    const first = model.messageRequests().find((r) => r.view.promptText.includes('HEALTH-1'));
    expect(first?.view.toolNames).toEqual(['mcp__factory__report']);
    expect(toolResultsOf('HEALTH-1')[0]?.isError).toBe(true);
    expect(seen).toEqual(['all well']);
  });

  it('writes a usage row per answer the model proxy served, against the agent and run', async () => {
    const repo = gitRepository('usage');
    model.script(match.promptIncludes('TASK-USAGE'), [
      turn.toolUse(
        'Bash',
        { command: 'true' },
        { usage: { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 200 } },
      ),
      turn.text('done', {
        usage: { input_tokens: 1200, output_tokens: 50, cache_read_input_tokens: 900 },
      }),
    ]);
    const agentId = await newAgent('worker');
    const result = await runner().run(request('worker', agentId, repo, 'TASK-USAGE'));

    expect(result.usage).toMatchObject({
      inputTokens: 2200,
      outputTokens: 150,
      cacheReadTokens: 900,
      cacheCreationTokens: 200,
    });
    expect(result.usage.costUsd).toBeGreaterThan(0);
    const rows = await database.db
      .select()
      .from(modelUsage)
      .where(eq(modelUsage.runId, result.runId))
      .orderBy(modelUsage.id);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      agentId,
      model: 'claude-sonnet-4-5',
      inputTokens: 1000,
      outputTokens: 100,
      cacheReadTokens: 0,
      cacheCreationTokens: 200,
    });
    expect(rows[1]).toMatchObject({
      agentId,
      inputTokens: 1200,
      outputTokens: 50,
      cacheReadTokens: 900,
      cacheCreationTokens: 0,
    });
    expect(rows.reduce((sum, row) => sum + row.costUsd, 0)).toBeCloseTo(result.usage.costUsd);
  });

  it('resumes a stored session with new input', async () => {
    const repo = gitRepository('resume');
    model
      // One conversation: the resumed request carries the first turn, so it is turn 1.
      .script(match.promptIncludes('TASK-ASK'), [
        turn.text('Should I use tabs or spaces?'),
        turn.text('Switching to tabs.'),
      ]);
    const agentId = await newAgent('worker');
    const first = await runner().run({
      ...request('worker', agentId, repo, 'TASK-ASK'),
      afterSuccess: () => 'WAITING',
    });
    expect((await agentRow(agentId)).state).toBe('WAITING');
    const stored = (await agentRow(agentId)).sessionId;
    expect(stored).toBe(first.sessionId);

    const second = await runner().run({
      ...request('worker', agentId, repo, 'ignored'),
      prompt: 'A person replied: use tabs',
      resumeSessionId: stored ?? undefined,
    });
    expect(second).toMatchObject({ status: 'succeeded', text: 'Switching to tabs.' });
    // Usage is the resumed run's own, not the session's running total.
    expect(second.usage).toMatchObject({ inputTokens: 100, outputTokens: 20 });
    const resumed = model
      .messageRequests()
      .find((r) => r.view.promptText.includes('A person replied'));
    expect(resumed?.view.promptText).toContain('TASK-ASK');
    expect(resumed?.view.turnIndex).toBe(1);
    expect((await agentRow(agentId)).state).toBe('IDLE');
  });
});
