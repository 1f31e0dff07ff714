/**
 * `npm run demo`: the whole Factory loop on this machine, with no credentials.
 * A local GitHub emulator (real git remote, signed webhooks), a scripted model
 * standing in for Claude, and the app itself started as `npm start` would be.
 *
 *   npm run demo            run the epic, then keep the status page up (Ctrl-C stops)
 *   npm run demo -- --once  exit 0 when the epic completed, non-zero otherwise
 *   npm run demo -- --keep  keep the work folder (repository, worktrees, app log) at the end
 *
 * Whatever ends it, the demo removes what it made: its keys in Redis and,
 * without --keep, its work folder; and says where they were.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from '../test/e2e/support/factoryProcess.js';
import { FactoryLoop } from '../test/e2e/support/loop.js';
import { plannedTasks } from '../test/e2e/support/textkitEpic.js';
import { deleteRedisKeys, removeFolder } from './demo/cleanup.js';
import { narrate } from './demo/narrate.js';

const once = process.argv.includes('--once');
const keep = process.argv.includes('--keep');
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

async function main() {
  say('Factory demo: a local GitHub emulator, a SCRIPTED model (not Claude), and the real app.');
  say(
    'The model answers from a fixed script; to run agents on a real model, set ANTHROPIC_API_KEY and use `npm start` with a GitHub App.',
  );
  const startedAt = Date.now();
  const { url: redisUrl, server: redisServer } = await redis();
  const redisPrefix = `factory-demo-${process.pid}`;
  const loop = await FactoryLoop.start({
    redisUrl,
    redisPrefix,
    databaseUrl: process.env.DATABASE_URL,
    logLevel: process.env.LOG_LEVEL ?? 'warn',
    // What the status page and usage records call the model: not a Claude model's name.
    scriptedModelName: 'scripted-model (demo, not Claude)',
  });
  let exitCode = 1;
  let cleaned: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaned ??= (async () => {
      await loop.close({ keepWorkDir: true }).catch(() => undefined);
      if (redisServer) {
        redisServer.kill();
        say(`stopped the private redis-server (its data went with it)`);
      } else {
        const keys = await deleteRedisKeys(redisUrl, redisPrefix).catch(() => -1);
        say(
          keys >= 0
            ? `removed the demo's ${keys} Redis keys (${redisPrefix}:*) from ${redisUrl}`
            : `could not remove the demo's Redis keys (${redisPrefix}:*) from ${redisUrl}`,
        );
      }
      if (keep) {
        say(`kept the work folder ${loop.workDir} (--keep)`);
      } else {
        await removeFolder(loop.workDir);
        say(`removed the work folder ${loop.workDir} (--keep keeps it)`);
      }
    })());
  // Whatever ends the demo, the app and a private Redis end with it.
  process.once('exit', () => {
    loop.app.killNow();
    redisServer?.kill();
  });
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanUp().then(() => process.exit(143)));
  const git = loop.emulator.state.git(loop.repo);
  try {
    // Lines are printed in delivery order, each once its narration is ready.
    let printing = Promise.resolve();
    loop.emulator.webhooks.onDelivery((delivery) => {
      printing = printing.then(async () => {
        const line = await narrate(delivery, git).catch(() => undefined);
        if (line) say(line);
        if (delivery.status === null || delivery.status >= 400)
          say(
            `  (the app answered ${delivery.status ?? 'nothing'} to ${delivery.event}: ${delivery.error ?? ''})`,
          );
      });
    });
    const reader = loop.emulator.person(loop.repo, 'demo-reader', 'read');
    const cloneUrl = new URL(loop.emulator.cloneUrl(loop.repo));
    cloneUrl.username = 'x-access-token';
    cloneUrl.password = reader.token;
    say(`GitHub emulator at ${loop.emulator.url}; repository acme/textkit`);
    say(`  clone it (read-only token included): git clone ${cloneUrl.href}`);
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
    await printing;
    for (const line of await summary(loop, epic.number, startedAt)) say(line);
    exitCode = 0;
  } catch (error) {
    say(`the epic did not complete: ${error instanceof Error ? error.message : String(error)}`);
    say('run it again with --keep to look at the work folder and the app log');
    exitCode = 1;
  }
  if (once || exitCode !== 0) {
    await cleanUp();
    process.exit(exitCode);
  }
  say(`status page stays up at ${loop.app.url}/factory — Ctrl-C to stop.`);
}

/** The closing lines: how long, how much, and what is on main now. */
async function summary(loop: FactoryLoop, epicNumber: number, startedAt: number) {
  const merged = loop.pulls().filter((p) => p.pull?.merged);
  const git = loop.emulator.state.git(loop.repo);
  const main = await git.revParse('refs/heads/main');
  const commits = main
    ? await git.commitsBetween(`${main}~${merged.length}`, main).catch(() => [])
    : [];
  const usage = await epicUsage(loop, epicNumber);
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  return [
    `epic #${epicNumber} COMPLETED: ${merged.length} PRs merged into main.`,
    `summary: ${seconds} s wall time, ${usage ? `${usage.tokens.toLocaleString('en-US')} tokens, $${usage.costUsd.toFixed(2)} at list prices (scripted: nothing was spent)` : 'usage unavailable'}`,
    ...commits.map((c) => `  main ${c.sha.slice(0, 7)} ${c.message.split('\n')[0]}`),
  ];
}

/** What the status page's API says the epic used (the model proxy counted every request). */
async function epicUsage(loop: FactoryLoop, epicNumber: number) {
  try {
    const overview = (await (await fetch(`${loop.app.url}/factory/api/overview`)).json()) as {
      epics?: { id: number; issueNumber: number }[];
    };
    const epic = overview.epics?.find((e) => e.issueNumber === epicNumber);
    if (!epic) return undefined;
    const detail = (await (await fetch(`${loop.app.url}/factory/api/epics/${epic.id}`)).json()) as {
      usage: { costUsd: number; inputTokens: number; outputTokens: number };
    };
    return {
      costUsd: detail.usage.costUsd,
      tokens: detail.usage.inputTokens + detail.usage.outputTokens,
    };
  } catch {
    return undefined;
  }
}

await main();
