/**
 * `npm run demo` as a newcomer runs it: the story it prints (the plan's
 * tasks, a closing summary with cost), and that it leaves nothing behind in
 * Redis or the temp folder — after `--once`, and after Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../support/redis.js';
import { plannedTasks } from './support/textkitEpic.js';

interface DemoRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

function startDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', ...args], {
    env: { ...process.env, REDIS_URL: testRedisUrl, DATABASE_URL: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => text, exited };
}

async function untilPrinted(run: DemoRun, pattern: RegExp, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (Date.now() > deadline) throw new Error(`demo never printed ${pattern}:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function keysOf(pid: number | undefined): Promise<string[]> {
  const redis = new Redis(testRedisUrl);
  try {
    return await redis.keys(`factory-demo-${pid}:*`);
  } finally {
    redis.disconnect();
  }
}

function workFolder(output: string): string {
  const match = /work folder (\S+)/.exec(output);
  if (!match?.[1]) throw new Error(`no work folder in:\n${output}`);
  return match[1];
}

describe('npm run demo', { timeout: 900_000 }, () => {
  it('tells the epic’s story, ends with a summary, and removes its keys and folder (--once)', async () => {
    const run = startDemo(['--once']);
    const code = await run.exited;
    const output = run.output();
    expect(code, output).toBe(0);
    for (const task of plannedTasks) expect(output).toContain(`— ${task.title}`);
    expect(output).toMatch(/supervisor reviewed PR #\d+: APPROVE/);
    expect(output).toMatch(/summary: \d+ s wall time, [\d,]+ tokens, \$\d+\.\d\d/);
    expect(output).toMatch(/git clone http:\/\/x-access-token:[^@\s]+@127\.0\.0\.1:\d+\//);
    const folder = workFolder(output);
    expect(output).toContain(`removed the work folder ${folder}`);
    expect(existsSync(folder)).toBe(false);
    expect(await keysOf(run.child.pid)).toEqual([]);
  });

  it('cleans up the same way when interrupted (Ctrl-C)', async () => {
    const run = startDemo([]);
    await untilPrinted(run, /Factory is up/, 180_000);
    // Let some work reach Redis first, so there is something to remove.
    await untilPrinted(run, /plan: task #/, 180_000);
    run.child.kill('SIGINT');
    const code = await run.exited;
    const output = run.output();
    expect(code, output).toBe(130);
    const folder = workFolder(output);
    expect(existsSync(folder)).toBe(false);
    expect(await keysOf(run.child.pid)).toEqual([]);
    expect(output).toMatch(/removed the demo's \d+ Redis keys/);
  });
});
