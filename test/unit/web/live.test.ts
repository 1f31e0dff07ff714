import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { contentVersion, LiveUpdates } from '../../../src/web/live.js';

/** Collects a stream's events; `waitFor` polls them with a deadline. */
function follow(url: string) {
  const events: { event: string; data: string }[] = [];
  let ended = false;
  const request = http.get(url, (res) => {
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) events.push({ event, data });
      }
    });
    res.on('end', () => {
      ended = true;
    });
  });
  return {
    events,
    ended: () => ended,
    close: () => request.destroy(),
    async waitFor(check: () => boolean, what: string) {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

describe('LiveUpdates', () => {
  let content = 'first';
  let failing = false;
  let renders = 0;
  let live: LiveUpdates;
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    live = new LiveUpdates({
      log: createLogger('silent'),
      intervalMs: 30,
      maxClients: 3,
      async render() {
        renders += 1;
        if (failing) throw new Error('database down');
        return content;
      },
    });
    server = http.createServer((req, res) => {
      const known = new URL(req.url ?? '/', 'http://x').searchParams.get('since');
      if (!live.subscribe('view', req, res, known)) res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    live.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the current content, then only changes', async () => {
    const stream = follow(url);
    await stream.waitFor(() => stream.events.length === 1, 'the first event');
    expect(JSON.parse(stream.events[0]?.data ?? '{}')).toEqual({
      version: contentVersion('first'),
      html: 'first',
    });
    const before = renders;
    await stream.waitFor(() => renders > before + 3, 'a few more checks');
    expect(stream.events).toHaveLength(1);
    content = 'second';
    await stream.waitFor(() => stream.events.length === 2, 'the change');
    expect(JSON.parse(stream.events[1]?.data ?? '{}')).toMatchObject({ html: 'second' });
    stream.close();
  });

  it('sends nothing to a browser that already shows the current version', async () => {
    const stream = follow(`${url}?since=${contentVersion(content)}`);
    const before = renders;
    await stream.waitFor(() => renders > before + 3, 'a few checks');
    expect(stream.events).toEqual([]);
    stream.close();
  });

  it('says the view is stale when it cannot be rendered', async () => {
    const stream = follow(`${url}?since=${contentVersion(content)}`);
    failing = true;
    try {
      await stream.waitFor(() => stream.events.some((e) => e.event === 'stale'), 'a stale event');
    } finally {
      failing = false;
      stream.close();
    }
  });

  it('refuses more clients than allowed and ends every stream on close', async () => {
    const deadline = Date.now() + 10_000;
    while (live.clientCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const streams = [follow(url), follow(url), follow(url)];
    await streams[0]?.waitFor(() => live.clientCount === 3, 'three clients');
    const refused = await fetch(url);
    expect(refused.status).toBe(503);
    live.close();
    for (const stream of streams) await stream.waitFor(stream.ended, 'the stream to end');
    expect(live.clientCount).toBe(0);
  });
});
