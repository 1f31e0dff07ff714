import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../../src/db/connection.js';
import { agents, modelUsage } from '../../../../src/db/schema.js';
import { databaseModelProxy } from '../../../../src/agents/runtime/modelProxy/fromDatabase.js';
import type { ModelProxy } from '../../../../src/agents/runtime/modelProxy/modelProxy.js';
import { costUsd } from '../../../../src/agents/runtime/modelProxy/pricing.js';
import { startRun } from '../../../../src/agents/runtime/runRecords.js';
import { createTestDatabase } from '../../../support/database.js';

/**
 * The model proxy on its own, against a hand-written upstream that streams in
 * steps the test controls: the run token is the only key that opens it (and
 * only while its run is open), the real key goes upstream, SSE passes through
 * unchanged as it arrives, and each answer's usage is one model_usage row.
 */

const realKey = 'sk-real-upstream-key';
const log = pino({ level: 'silent' });

interface Seen {
  headers: IncomingHttpHeaders;
  path: string;
}
const seen: Seen[] = [];
/** Resolves the held second half of the streamed answer. */
let release: (() => void) | undefined;

const event = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const firstHalf = event('message_start', {
  message: {
    id: 'msg_x',
    model: 'claude-sonnet-4-5',
    content: [],
    usage: { input_tokens: 700, output_tokens: 1, cache_read_input_tokens: 300 },
  },
});
const secondHalf =
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hello' } }) +
  event('content_block_stop', { index: 0 }) +
  event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 40 } }) +
  event('message_stop', {});

let upstream: http.Server;
let upstreamUrl: string;
let database: DatabaseHandle;
let proxy: ModelProxy;
let scratch: string;

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  scratch = mkdtempSync(path.join(tmpdir(), 'fmp-'));
  upstream = http.createServer((request, response) => {
    seen.push({ headers: request.headers, path: request.url ?? '' });
    request.resume();
    request.on('end', () => {
      if (request.url?.startsWith('/v1/messages/count_tokens')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end('{"input_tokens":12}');
      }
      if (request.headers['x-test-json'] === '1') {
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end(
          JSON.stringify({
            type: 'message',
            model: 'claude-haiku-4-5',
            content: [],
            usage: { input_tokens: 50, output_tokens: 5 },
          }),
        );
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(firstHalf);
      // The rest only once the client has shown it received the first half.
      release = () => response.end(secondHalf);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = databaseModelProxy({
    db: database.db,
    log,
    upstream: { apiKey: realKey, baseUrl: upstreamUrl },
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  await database?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function openRun(budgets: Parameters<ModelProxy['openRun']>[1] = { run: { usd: 10 } }) {
  const [agent] = await database.db
    .insert(agents)
    .values({ kind: 'worker' })
    .returning({ id: agents.id });
  const agentId = agent!.id;
  const runId = await startRun(database.db, { agentId, purpose: 't', model: 'm', prompt: 'p' });
  return { agentId, runId, run: proxy.openRun({ runId, agentId }, budgets) };
}

interface Answer {
  status: number;
  body: string;
}

/** A request to the proxy on a Unix socket; `onFirstChunk` runs when the answer's first bytes arrive. */
function ask(
  socketPath: string,
  token: string,
  options: { path?: string; json?: boolean; onFirstChunk?: (text: string) => void } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        socketPath,
        method: 'POST',
        path: options.path ?? '/v1/messages?beta=true',
        headers: {
          'x-api-key': token,
          'content-type': 'application/json',
          ...(options.json ? { 'x-test-json': '1' } : {}),
        },
      },
      (response) => {
        let body = '';
        let first = true;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
          if (first) options.onFirstChunk?.(chunk);
          first = false;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ model: 'claude-sonnet-4-5', stream: true, messages: [] }));
  });
}

describe('the model proxy', { timeout: 60_000 }, () => {
  it('serves the run token only, puts the real key upstream, streams promptly and records usage', async () => {
    const { runId, run } = await openRun();
    const socket = path.join(scratch, 'a.sock');
    const listener = await run.serve(socket);
    const before = seen.length;

    let firstChunk = '';
    const answer = await ask(socket, run.token, {
      onFirstChunk: (text) => {
        firstChunk = text;
        // The upstream holds the rest until now: the first half came through alone.
        release?.();
      },
    });
    expect(answer.status).toBe(200);
    expect(firstChunk).toBe(firstHalf);
    expect(answer.body).toBe(firstHalf + secondHalf);
    const upstreamSaw = seen.slice(before);
    expect(upstreamSaw).toHaveLength(1);
    expect(upstreamSaw[0]?.headers['x-api-key']).toBe(realKey);
    expect(JSON.stringify(upstreamSaw[0]?.headers)).not.toContain(run.token);
    expect(upstreamSaw[0]?.path).toBe('/v1/messages?beta=true');

    const json = await ask(socket, run.token, { json: true });
    expect(json.status).toBe(200);
    const counted = await ask(socket, run.token, { path: '/v1/messages/count_tokens' });
    expect(counted).toEqual({ status: 200, body: '{"input_tokens":12}' });

    await listener.close();
    await run.close();
    const rows = await database.db
      .select()
      .from(modelUsage)
      .where(eq(modelUsage.runId, runId))
      .orderBy(modelUsage.id);
    const streamed = {
      model: 'claude-sonnet-4-5',
      inputTokens: 700,
      outputTokens: 40,
      cacheReadTokens: 300,
      cacheCreationTokens: 0,
    };
    const jsonUsage = {
      model: 'claude-haiku-4-5',
      inputTokens: 50,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheCreationTokens: 0,
    };
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ ...streamed, costUsd: costUsd(streamed) });
    expect(rows[1]).toMatchObject({ ...jsonUsage, costUsd: costUsd(jsonUsage) });
    expect(run.served()).toHaveLength(2);
  });

  it("refuses a closed run's token and a made-up one, before anything goes upstream", async () => {
    const dead = await openRun();
    const deadSocket = path.join(scratch, 'dead.sock');
    const deadListener = await dead.run.serve(deadSocket);
    await dead.run.close();

    const live = await openRun();
    const socket = path.join(scratch, 'live.sock');
    await live.run.serve(socket);
    const before = seen.length;

    for (const token of [dead.run.token, 'factory-run-made-up', realKey, '']) {
      const answer = await ask(socket, token);
      expect(answer.status, token).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({
        type: 'error',
        error: { type: 'authentication_error' },
      });
    }
    // A listener left open by a closed run serves nothing either (close() closed it anyway).
    await expect(ask(deadSocket, dead.run.token)).rejects.toThrow();
    await deadListener.close();
    // A live run's token on its own socket works; on a loopback listener, too.
    const loopback = await live.run.serveLoopback();
    const answer = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        `${loopback.url}/v1/messages`,
        { method: 'POST', headers: { 'x-api-key': 'nope' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end('{}');
    });
    expect(answer).toBe(401);
    expect(seen.length).toBe(before);
    await live.run.close();
  });

  it('refuses the request after the run cap is reached, with the figures, and tells the run', async () => {
    const { run, runId } = await openRun({ run: { tokens: 500 } });
    const socket = path.join(scratch, 'cap.sock');
    await run.serve(socket);
    const cuts: string[] = [];
    run.onCut((cut) => cuts.push(cut.message));
    const before = seen.length;

    const first = await ask(socket, run.token, { json: true });
    expect(first.status).toBe(200);
    expect(cuts).toEqual([]);
    // 55 tokens so far: under 500. Then a streamed answer of 1040: over.
    const second = await ask(socket, run.token, { onFirstChunk: () => release?.() });
    expect(second.status).toBe(200);
    const third = await ask(socket, run.token, { json: true });
    expect(third.status).toBe(400);
    const error = JSON.parse(third.body) as { type: string; error: { message: string } };
    expect(error.type).toBe('error');
    expect(error.error.message).toMatch(
      /^Budget reached: the run has 1,095 tokens used of its 500 token budget \(AGENT_RUN_BUDGET_TOKENS\)/,
    );
    expect(cuts).toEqual([error.error.message]);
    expect((await ask(socket, run.token, { json: true })).status).toBe(400);
    expect(seen.length - before).toBe(2);
    await run.close();
    const rows = await database.db.select().from(modelUsage).where(eq(modelUsage.runId, runId));
    expect(rows).toHaveLength(2);
  });
});
