/**
 * `npm run demo`: the whole Factory loop on this machine, with no credentials.
 * A local GitHub emulator (real git remote, signed webhooks), a scripted model
 * standing in for Claude, and the app itself started as `npm start` would be.
 *
 *   npm run demo            run the epic, then keep the status page up (Ctrl-C stops)
 *   npm run demo -- --once  exit 0 when the epic completed, non-zero otherwise
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from '../test/e2e/support/factoryProcess.js';
import { FactoryLoop } from '../test/e2e/support/loop.js';
import { plannedTasks } from '../test/e2e/support/textkitEpic.js';
import type { Delivery } from '../test/support/githubEmulator/index.js';

const once = process.argv.includes('--once');
const epicTimeoutMs = Number(process.env.DEMO_TIMEOUT_SECONDS ?? 900) * 1000;

function say(line: string) {
  console.log(`[demo] ${line}`);
}

function reachable(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function onPath(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    child.on('close', (code) => resolve(code === 0));
    child.on('error', () => resolve(false));
  });
}

/** Redis from REDIS_URL; else a private redis-server if one is installed; else one clear line. */
async function redis(): Promise<{ url: string; server?: ChildProcess }> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await reachable(new URL(url))) return { url };
  if (!(await onPath('redis-server'))) {
    console.error(
      `[demo] Redis is not reachable at ${url}: install Redis (apt-get install redis-server, or brew install redis) or set REDIS_URL.`,
    );
    process.exit(2);
  }
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const privateUrl = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await reachable(new URL(privateUrl)))) {
    if (Date.now() > deadline) {
      server.kill();
      console.error(
        `[demo] Redis is not reachable at ${url}, and a private redis-server did not start.`,
      );
      process.exit(2);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  say(`no Redis at ${url}; started a private redis-server on port ${port}`);
  return { url: privateUrl, server };
}

/** One line per thing a person would notice on GitHub. */
function describeDelivery(delivery: Delivery): string | undefined {
  const p = delivery.payload as {
    sender?: { login: string };
    issue?: { number: number; title: string };
    pull_request?: { number: number; title: string; merged?: boolean };
    label?: { name: string };
    comment?: { body: string };
    review?: { state: string };
    sub_issue?: { number: number };
    parent_issue?: { number: number };
    check_run?: { name: string; conclusion: string | null; head_sha: string };
    ref?: string;
  };
  const who = p.sender?.login ?? 'someone';
  const firstLine = (text: string) =>
    (
      text
        .replace(/<!--[\s\S]*?-->/g, '')
        .split('\n')
        .find((l) => l.trim() !== '') ?? ''
    ).slice(0, 90);
  const key = `${delivery.event}.${delivery.action ?? ''}`;
  switch (key) {
    case 'issues.opened':
      return `${who} opened issue #${p.issue?.number}: ${p.issue?.title}`;
    case 'issues.labeled':
      return `${who} labelled #${p.issue?.number} ${p.label?.name}`;
    case 'issues.closed':
      return `${who} closed issue #${p.issue?.number}`;
    case 'issue_comment.created':
      return `${who} commented on #${p.issue?.number}: ${firstLine(p.comment?.body ?? '')}`;
    case 'sub_issues.sub_issue_added':
      return `${who} added #${p.sub_issue?.number} as a sub-issue of #${p.parent_issue?.number}`;
    case 'pull_request.opened':
      return `${who} opened PR #${p.pull_request?.number}: ${p.pull_request?.title}`;
    case 'pull_request.synchronize':
      return `${who} pushed new commits to PR #${p.pull_request?.number}`;
    case 'pull_request.closed':
      return `${who} ${p.pull_request?.merged ? 'merged' : 'closed'} PR #${p.pull_request?.number}`;
    case 'pull_request_review.submitted':
      return `${who} reviewed PR #${p.pull_request?.number}: ${p.review?.state}`;
    case 'check_run.completed':
      return `CI ${p.check_run?.name} on ${p.check_run?.head_sha.slice(0, 7)}: ${p.check_run?.conclusion}`;
    default:
      return undefined;
  }
}

async function main() {
  say('Factory demo: a local GitHub emulator, a SCRIPTED model (not Claude), and the real app.');
  say(
    'The model answers from a fixed script; to run agents on a real model, set ANTHROPIC_API_KEY and use `npm start` with a GitHub App.',
  );
  const { url: redisUrl, server: redisServer } = await redis();
  const loop = await FactoryLoop.start({
    redisUrl,
    redisPrefix: `factory-demo-${process.pid}`,
    databaseUrl: process.env.DATABASE_URL,
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  let exitCode = 1;
  const shutdown = async () => {
    await loop.close({ keepWorkDir: exitCode !== 0 }).catch(() => undefined);
    redisServer?.kill();
  };
  // Whatever ends the demo, the app and a private Redis end with it.
  process.once('exit', () => {
    loop.app.killNow();
    redisServer?.kill();
  });
  process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(143)));
  try {
    loop.emulator.webhooks.onDelivery((delivery) => {
      const line = describeDelivery(delivery);
      if (line) say(line);
      if (delivery.status === null || delivery.status >= 400)
        say(
          `  (the app answered ${delivery.status ?? 'nothing'} to ${delivery.event}: ${delivery.error ?? ''})`,
        );
    });
    say(
      `GitHub emulator at ${loop.emulator.url}; repository acme/textkit (${loop.emulator.cloneUrl(loop.repo)})`,
    );
    say(`work folder ${loop.workDir} (the app's log: factory.log)`);
    await loop.app.start();
    say(`Factory is up; status page: ${loop.app.url}/factory`);
    const epic = loop.openEpic();
    say(
      `maintainer labelled #${epic.number} factory:epic; the supervisor plans ${plannedTasks.length} tasks…`,
    );
    await loop.waitFor(
      'the epic to complete (label factory:done)',
      () => epic.labels.includes('factory:done') || undefined,
      epicTimeoutMs,
    );
    const merged = loop.pulls().filter((p) => p.pull?.merged).length;
    say(`epic #${epic.number} COMPLETED: ${merged} PRs merged into main.`);
    exitCode = 0;
  } catch (error) {
    say(`the epic did not complete: ${error instanceof Error ? error.message : String(error)}`);
    exitCode = 1;
  }
  if (once || exitCode !== 0) {
    await shutdown();
    process.exit(exitCode);
  }
  say(`status page stays up at ${loop.app.url}/factory — Ctrl-C to stop.`);
}

await main();
