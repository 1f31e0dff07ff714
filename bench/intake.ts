/**
 * `npm run bench:intake`: how fast Factory acknowledges webhooks.
 *
 * Signed `sub_issues.sub_issue_added` deliveries (each a new task under one
 * epic: delivery recorded, epic looked up, task written, job enqueued) go over
 * loopback HTTP to Factory's web process on real PostgreSQL and Redis; the same
 * run sends the same deliveries to a bare Probot app that only verifies the
 * signature. Prints throughput and p50/p99 acknowledgement latency for both and
 * the ratio, and writes them to bench/results/intake.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { pino } from 'pino';
import { Probot, Server } from 'probot';
import { parseEnv } from '../src/config/env.js';
import { upsertEpicFromIssue } from '../src/db/epics.js';
import { startFactory } from '../src/startup.js';
import { createEmptyPostgresDatabase } from '../test/support/database.js';
import { deleteRedisPrefix, testRedisPrefix } from '../test/support/redis.js';
import { freePort, testAppPrivateKey } from '../test/support/signedWebhook.js';
import { subIssueAddedEvent, testRepo } from '../test/support/webhooks.js';
import { createHmac, randomUUID } from 'node:crypto';

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
    const result = {
      benchmark: 'intake',
      at: new Date().toISOString(),
      event: 'sub_issues.sub_issue_added (new task under a known epic)',
      concurrency,
      factory: factoryFigures,
      bareProbot: bareFigures,
      ratio,
      targets: { perSecond: 200, p99Ms: 50, ratio: 0.5 },
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map(round) },
    };
    console.log(`intake: ${deliveries} signed deliveries, ${concurrency} at a time, loopback HTTP`);
    console.log(
      `  factory (PostgreSQL + Redis): ${factoryFigures.perSecond}/s  p50 ${factoryFigures.p50Ms} ms  p99 ${factoryFigures.p99Ms} ms  failures ${factoryFigures.failures}`,
    );
    console.log(
      `  bare Probot (signature only): ${bareFigures.perSecond}/s  p50 ${bareFigures.p50Ms} ms  p99 ${bareFigures.p99Ms} ms`,
    );
    console.log(
      `  ratio factory/bare: ${ratio}  (load average ${result.machine.loadAverage.join(' ')})`,
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
