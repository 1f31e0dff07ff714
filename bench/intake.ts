/**
 * `npm run bench:intake`: how fast Factory acknowledges webhooks, and how fast
 * it then takes them in.
 *
 * Signed `sub_issues.sub_issue_added` deliveries go over loopback HTTP to
 * Factory's web process (signature verified, delivery queued in Redis) and, in
 * the same run, to a bare Probot app that only verifies the signature: the
 * throughput and p50/p99 acknowledgement latency of both, and their ratio.
 * Then a worker takes the queued deliveries in — delivery recorded, epic
 * looked up, task written, implement-task job enqueued, all in PostgreSQL and
 * Redis — and the time until every task exists gives the take-in rate.
 * Everything is written to bench/results/intake.json.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { count } from 'drizzle-orm';
import { pino } from 'pino';
import { Probot, Server } from 'probot';
import { parseEnv } from '../src/config/env.js';
import { upsertEpicFromIssue } from '../src/db/epics.js';
import { createFactoryApp } from '../src/app.js';
import { tasks } from '../src/db/schema.js';
import { receiveWebhookProcessors } from '../src/intake/webhookQueue.js';
import { startQueueWorkers } from '../src/queues/workers.js';
import type { FactoryDeps } from '../src/deps.js';
import { startFactory } from '../src/startup.js';
import { createEmptyPostgresDatabase } from '../test/support/database.js';
import { deleteRedisPrefix, testRedisPrefix } from '../test/support/redis.js';
import { freePort, testAppPrivateKey } from '../test/support/signedWebhook.js';
import { subIssueAddedEvent, testRepo } from '../test/support/webhooks.js';

const deliveries = Number(process.env.BENCH_DELIVERIES ?? 2_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const warmup = 100;
const secret = 'bench-secret';
const log = pino({ level: 'silent' });
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

interface Figures {
  deliveries: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

function post(port: number, name: string, payload: object): Promise<number> {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/github/webhooks',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-github-event': name,
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function drive(port: number, count: number, firstIssue: number): Promise<Figures> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  async function lane() {
    while (next < count) {
      const issue = firstIssue + next++;
      const sent = performance.now();
      const status = await post(port, 'sub_issues', subIssueAddedEvent(1, issue));
      latencies.push(performance.now() - sent);
      if (status >= 300) failures++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1_000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    deliveries: count,
    seconds: round(seconds),
    perSecond: round(count / seconds),
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    failures,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Runs the intake handlers on the deliveries the web process queued, as a
 * worker process does (webhook queue only, so no agent job starts), and
 * times it until every delivery's task exists.
 */
async function takeInQueued(deps: FactoryDeps, expected: number) {
  const dispatcher = new Probot({ appId: 1, privateKey: testAppPrivateKey(), secret, log });
  await dispatcher.load(createFactoryApp(deps));
  const started = performance.now();
  const workers = startQueueWorkers({
    redisUrl: deps.env.REDIS_URL,
    prefix: deps.env.REDIS_PREFIX,
    processors: receiveWebhookProcessors(dispatcher),
    queues: ['webhook'],
    concurrency: { webhook: 8 },
    log,
  });
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const [row] = await deps.db.select({ n: count() }).from(tasks);
      if ((row?.n ?? 0) >= expected) break;
      if (Date.now() > deadline)
        throw new Error(`only ${row?.n ?? 0} of ${expected} tasks were taken in`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1_000;
    return { tasks: expected, seconds: round(seconds), perSecond: round(expected / seconds) };
  } finally {
    await workers.close();
  }
}

async function main() {
  const database = await createEmptyPostgresDatabase();
  const prefix = testRedisPrefix('bench');
  const factory = await startFactory(
    parseEnv({
      NODE_ENV: 'production',
      LOG_LEVEL: 'fatal',
      FACTORY_ROLE: 'web',
      APP_ID: '1',
      PRIVATE_KEY: testAppPrivateKey(),
      WEBHOOK_SECRET: secret,
      BOT_LOGIN: 'factory-bench[bot]',
      GITHUB_API_URL: 'http://127.0.0.1:9',
      DATABASE_URL: database.url,
      REDIS_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
    }),
    log,
  );
  const bare = new Server({
    Probot: Probot.defaults({ appId: 1, privateKey: testAppPrivateKey(), secret, log }),
    port: await freePort(),
    host: '127.0.0.1',
    log,
    enableStaticFiles: false,
  });
  await bare.load((app) => app.onAny(async () => undefined));
  await bare.start();

  try {
    await upsertEpicFromIssue(factory.deps.db, {
      installationId: 5151,
      repoId: testRepo.id,
      repoOwner: 'acme',
      repoName: 'shop',
      issueNumber: 1,
      issueId: 900_001,
      title: 'Bench epic',
    });
    const factoryPort = factory.port ?? 0;
    await drive(factoryPort, warmup, 1_000_000);
    await drive(bare.port, warmup, 1_000_000);
    const bareFigures = await drive(bare.port, deliveries, 2_000_000);
    const factoryFigures = await drive(factoryPort, deliveries, 2_000_000);
    const ratio = round(factoryFigures.perSecond / bareFigures.perSecond);
    const takeIn = await takeInQueued(factory.deps, warmup + deliveries);
    const result = {
      benchmark: 'intake',
      at: new Date().toISOString(),
      event: 'sub_issues.sub_issue_added (new task under a known epic)',
      concurrency,
      factory: factoryFigures,
      bareProbot: bareFigures,
      ratio,
      takeIn,
      targets: { perSecond: 200, p99Ms: 50, ratio: 0.5 },
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map(round) },
    };
    console.log(`intake: ${deliveries} signed deliveries, ${concurrency} at a time, loopback HTTP`);
    console.log(
      `  factory web (verify + queue in Redis): ${factoryFigures.perSecond}/s  p50 ${factoryFigures.p50Ms} ms  p99 ${factoryFigures.p99Ms} ms  failures ${factoryFigures.failures}`,
    );
    console.log(
      `  bare Probot (signature only): ${bareFigures.perSecond}/s  p50 ${bareFigures.p50Ms} ms  p99 ${bareFigures.p99Ms} ms`,
    );
    console.log(
      `  ratio factory/bare: ${ratio}  (load average ${result.machine.loadAverage.join(' ')})`,
    );
    console.log(
      `  taken in by one worker (delivery row + task row + job, PostgreSQL + Redis): ${takeIn.tasks} tasks in ${takeIn.seconds} s = ${takeIn.perSecond}/s`,
    );
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/intake.json', `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await bare.stop();
    await factory.stop();
    agent.destroy();
    await database.drop();
    await deleteRedisPrefix(prefix);
  }
}

await main();
