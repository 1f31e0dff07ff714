import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../../src/db/connection.js';
import { agents, type AgentKind } from '../../../../src/db/schema.js';
import { workspaceHome } from '../../../../src/agents/runtime/agentHome.js';
import { createJail } from '../../../../src/agents/runtime/jail/jail.js';
import { createAgentRunner } from '../../../../src/agents/runtime/runner.js';
import { runCommand } from '../../../../src/agents/worker/commands.js';
import { createTestDatabase } from '../../../support/database.js';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../../support/scriptedModel/index.js';

/**
 * The jail attacked: a hostile scripted model drives the real engine, and each
 * attack is written so the shell guard cannot read it (base64 through `sh`),
 * so what stops it is the jail. Each asserts the attack failed and that no
 * secret value shows in any tool result or log line.
 */

const canary = `CANARY-${process.pid}-APP-SECRET`;
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

let model: ScriptedModel;
let database: DatabaseHandle;
let scratch: string;
let appDir: string;
let agentRoot: string;

beforeAll(async () => {
  process.env.FACTORY_TEST_CANARY = canary;
  [model, database] = await Promise.all([startScriptedModel(), createTestDatabase('postgres')]);
  scratch = mkdtempSync(path.join(tmpdir(), 'factory-jail-attacks-'));
  appDir = path.join(scratch, 'app');
  mkdirSync(appDir);
  writeFileSync(path.join(appDir, '.env'), `WEBHOOK_SECRET=${canary}\n`);
  writeFileSync(path.join(appDir, 'private-key.pem'), `-----BEGIN ${canary}-----\n`);
  agentRoot = path.join(scratch, 'agent-home');
});

afterAll(async () => {
  delete process.env.FACTORY_TEST_CANARY;
  await model?.close();
  await database?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function runner() {
  return createAgentRunner({
    db: database.db,
    log,
    model: { apiKey: `sk-${canary}`, baseUrl: model.url },
    env: { ...process.env, IS_SANDBOX: '1' },
    timeoutMs: 170_000,
    maxTurns: 30,
    heartbeatIntervalMs: 0,
    engineRetries: 0,
    retry: { attempts: 1, baseDelayMs: 10 },
    agentHome: agentRoot,
  });
}

async function newAgent(kind: AgentKind): Promise<number> {
  const [row] = await database.db.insert(agents).values({ kind }).returning({ id: agents.id });
  return row!.id;
}

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

/** A command the shell guard cannot read: the jail alone must stop it. */
function hidden(command: string): string {
  return `echo ${Buffer.from(command).toString('base64')} | base64 -d | sh 2>&1; echo "exit=$?"`;
}

describe('a hostile worker in the jail', { timeout: 300_000 }, () => {
  it('reaches none of the app, its secrets, its services, the host or other agents', async () => {
    const repo = gitRepository('hostile');
    const outside = path.join(scratch, 'outside');
    mkdirSync(outside);
    // Another workspace's transcript, with a secret in it.
    const otherHome = workspaceHome(agentRoot, path.join(scratch, 'other-task'));
    mkdirSync(path.join(otherHome, '.claude', 'projects', 'x'), { recursive: true });
    writeFileSync(path.join(otherHome, '.claude', 'projects', 'x', 's.jsonl'), canary);
    const relative = path.relative(repo, appDir);
    const attacks = {
      absolute: `cat ${appDir}/.env ${appDir}/private-key.pem ${process.cwd()}/package.json`,
      relative: `cat ${relative}/.env ${relative}/private-key.pem`,
      procEnviron: `cat /proc/${process.pid}/environ; cat /proc/1/environ`,
      ps: 'ps eww -e',
      env: 'env',
      redis: "bash -c 'echo PING > /dev/tcp/127.0.0.1/6379' && echo CONNECTED",
      postgres: "bash -c 'echo > /dev/tcp/127.0.0.1/5432' && echo CONNECTED",
      appHttp: `bash -c 'echo > /dev/tcp/127.0.0.1/${new URL(model.url).port}' && echo CONNECTED`,
      redirect: `echo x > ${outside}/redirect.txt`,
      interpreter: `node -e "require('fs').writeFileSync('${outside}/node.txt','x')"; python3 -c "open('${outside}/py.txt','w').write('x')"`,
      transcripts: `cat ${otherHome}/.claude/projects/x/s.jsonl; ls ${agentRoot}`,
    };
    const names = Object.keys(attacks);
    model.script(match.promptIncludes('TASK-HOSTILE'), [
      ...Object.values(attacks).map((command) =>
        turn.toolUse('Bash', { command: hidden(command) }),
      ),
      turn.text('done'),
    ]);
    const agentId = await newAgent('worker');
    const result = await runner().run({
      role: 'worker',
      agentId,
      purpose: 'implement',
      cwd: repo,
      systemPrompt: 'You are the worker.',
      prompt: 'Do TASK-HOSTILE.',
      model: 'claude-sonnet-4-5',
      context: {},
    });

    expect(result.status).toBe('succeeded');
    const results = model
      .messageRequests()
      .filter((r) => r.view.promptText.includes('TASK-HOSTILE'))
      .flatMap((r) => r.view.toolResults);
    expect(results).toHaveLength(names.length);
    const byName = Object.fromEntries(names.map((name, i) => [name, results[i]?.content ?? '']));
    for (const [name, output] of Object.entries(byName)) {
      expect(output, name).not.toContain(canary);
      expect(output, name).not.toContain('CONNECTED');
    }
    expect(byName.absolute).toMatch(/No such file/);
    expect(byName.absolute).not.toContain('"name": "factory"');
    expect(byName.relative).toMatch(/No such file/);
    expect(byName.procEnviron).toMatch(/No such file/);
    // A PID namespace of its own: the app, Redis, PostgreSQL are not among the processes.
    expect(byName.ps).not.toMatch(/redis-server|postgres|vitest/);
    expect(byName.env).not.toMatch(/FACTORY_TEST_CANARY|DATABASE_URL|REDIS_URL/);
    // The engine holds its run's token, never the model key (which is `sk-<canary>` here).
    expect(byName.env).not.toContain(`sk-${canary}`);
    expect(byName.env).toMatch(/^ANTHROPIC_API_KEY=factory-run-[A-Za-z0-9_-]{32}$/m);
    expect(byName.env).toMatch(/^ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:8011$/m);
    expect(byName.transcripts).toMatch(/No such file/);
    for (const file of ['redirect.txt', 'node.txt', 'py.txt']) {
      expect(existsSync(path.join(outside, file)), file).toBe(false);
    }
    expect(logLines.join('\n')).not.toContain(canary);
    // Upstream saw the real key only: the model proxy swapped the run's token for it.
    const keys = model.messageRequests().map((r) => r.headers['x-api-key']);
    expect(keys.every((key) => key === `sk-${canary}`)).toBe(true);
    const token = /^ANTHROPIC_API_KEY=(\S+)$/m.exec(byName.env ?? '')?.[1] ?? 'none';
    expect(JSON.stringify(model.messageRequests().map((r) => r.headers))).not.toContain(token);
  });
});

describe('a setup command in the jail', { timeout: 120_000 }, () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_request, response) => response.end('registry says hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const jail = createJail({ mode: 'on', log });
  const options = (cwd: string) => ({
    cwd,
    env: { PATH: '/usr/bin:/bin', CI: 'true' },
    timeoutMs: 60_000,
    jail,
    allowHosts: [`127.0.0.1:${port}`],
  });

  it('reaches an allowed host through the proxy, and no other', async () => {
    const repo = gitRepository('setup-net');
    const allowed = await runCommand(`curl -sS http://127.0.0.1:${port}/`, 'setup', options(repo));
    expect(allowed).toMatchObject({ ok: true });
    expect(allowed.output).toContain('registry says hello');

    const refused = await runCommand(
      `curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:6379/`,
      'setup',
      options(repo),
    );
    expect(refused.output).toContain('403');
    const direct = await runCommand(
      `curl -sS --noproxy '*' http://127.0.0.1:${port}/`,
      'setup',
      options(repo),
    );
    expect(direct.ok).toBe(false);
    expect(direct.output).not.toContain('registry says hello');
  });

  it('gives a test command no network at all', async () => {
    const repo = gitRepository('test-net');
    const test = await runCommand(`curl -sS http://127.0.0.1:${port}/`, 'test', options(repo));
    expect(test.ok).toBe(false);
    expect(test.output).not.toContain('registry says hello');
  });

  it('writes its worktree and nothing outside', async () => {
    const repo = gitRepository('setup-write');
    const outside = path.join(scratch, 'outside-setup');
    mkdirSync(outside);
    const result = await runCommand(
      `echo built > out.txt; echo x > ${outside}/planted.txt; cat ${appDir}/.env`,
      'setup',
      options(repo),
    );
    expect(readFileSync(path.join(repo, 'out.txt'), 'utf8')).toBe('built\n');
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    expect(result.output).not.toContain(canary);
  });
});

describe('without bubblewrap', { timeout: 60_000 }, () => {
  const jail = createJail({ mode: 'on', bwrapPath: '/nonexistent/bwrap', log });

  it('refuses agent runs with the one-line reason and its fix', async () => {
    const agentId = await newAgent('worker');
    const result = await createAgentRunner({
      db: database.db,
      log,
      model: { baseUrl: model.url },
      timeoutMs: 30_000,
      maxTurns: 2,
      agentHome: agentRoot,
      retry: { attempts: 3, baseDelayMs: 10 },
      jail,
    }).run({
      role: 'worker',
      agentId,
      purpose: 'implement',
      cwd: gitRepository('no-bwrap'),
      systemPrompt: 'x',
      prompt: 'Do TASK-NO-BWRAP.',
      model: 'claude-sonnet-4-5',
      context: {},
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'sandbox', retryable: false });
    expect(result.error?.message).toMatch(
      /^Agents cannot run: the jail does not start \(no bubblewrap at \/nonexistent\/bwrap\)\. Fix: .*AGENT_SANDBOX=off/,
    );
    expect(result.error?.message).not.toContain('\n');
    expect(model.messageRequests().some((r) => r.view.promptText.includes('TASK-NO-BWRAP'))).toBe(
      false,
    );
  });

  it('refuses repository commands with the same reason', async () => {
    const result = await runCommand('echo hi', 'setup', {
      cwd: gitRepository('no-bwrap-cmd'),
      env: {},
      timeoutMs: 10_000,
      jail,
    });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/^Agents cannot run: the jail does not start/);
  });
});
