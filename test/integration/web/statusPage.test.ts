import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/db/connection.js';
import { epics } from '../../../src/db/schema.js';
import { createLogger } from '../../../src/logger.js';
import { createStatusPage, type StatusPageHandler } from '../../../src/web/statusPage.js';
import { createTestDatabase } from '../../support/database.js';
import { seedStatusPage, type StatusPageSeed } from '../../support/statusPageSeed.js';

const token = 'status-page-test-token-1234';

interface Running {
  url: string;
  page: StatusPageHandler;
  server: http.Server;
}

async function serve(page: StatusPageHandler): Promise<Running> {
  const server = http.createServer((req, res) => {
    void page(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end('not the status page');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, page, server };
}

async function stop(running: Running | undefined) {
  if (!running) return;
  running.page.close();
  running.server.closeAllConnections();
  await new Promise((resolve) => running.server.close(resolve));
}

/** Reads server-sent events from a stream until `want` matches one, or the deadline passes. */
async function nextEvent(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  buffer: { text: string },
  want: (data: { version: string; html: string }) => boolean,
  deadlineMs = 15_000,
) {
  const deadline = Date.now() + deadlineMs;
  const decoder = new TextDecoder();
  for (;;) {
    let end: number;
    while ((end = buffer.text.indexOf('\n\n')) >= 0) {
      const block = buffer.text.slice(0, end);
      buffer.text = buffer.text.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (block.includes('event: view') && data) {
        const parsed = JSON.parse(data.slice(6)) as { version: string; html: string };
        if (want(parsed)) return { block, data: parsed };
      }
    }
    if (Date.now() > deadline) throw new Error('no matching event before the deadline');
    const chunk = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('stream idle')), deadlineMs),
      ),
    ]);
    if (chunk.done) throw new Error('stream ended');
    buffer.text += decoder.decode(chunk.value, { stream: true });
  }
}

describe('status page over HTTP', () => {
  let handle: DatabaseHandle;
  let seed: StatusPageSeed;
  let open: Running;
  let gated: Running;
  const log = createLogger('silent');

  beforeAll(async () => {
    handle = await createTestDatabase('postgres');
    seed = await seedStatusPage(handle.db);
    const queueHealth = async () => ({
      available: true as const,
      queues: [{ name: 'task', waiting: 4, active: 1, delayed: 0, failed: 2 }],
    });
    open = await serve(
      createStatusPage({
        db: handle.db,
        log,
        queueHealth,
        githubWebUrl: 'http://gh.test',
        liveIntervalMs: 100,
      }),
    );
    gated = await serve(createStatusPage({ db: handle.db, log, accessToken: token }));
  });
  afterAll(async () => {
    await stop(open);
    await stop(gated);
    await handle?.close();
  });

  it('serves the overview as HTML with a strict CSP and escaped titles', async () => {
    const res = await fetch(`${open.url}/factory`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await res.text();
    expect(body).toContain(`href="/factory/epics/${seed.epics.darkMode.id}"`);
    expect(body).toContain('href="http://gh.test/acme/widgets/issues/10"');
    expect(body).not.toContain('<script>window.__pwned');
    expect(body).toContain('&lt;script&gt;window.__pwned');
    expect(body).toMatch(/data-label="Waiting">4</);
    expect(body).not.toMatch(/ghs_/);
  });

  it('serves the same data as JSON, inert even if sniffed as HTML', async () => {
    const res = await fetch(`${open.url}/factory/api/overview`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(text).not.toContain('<');
    const data = JSON.parse(text) as { epics: { id: number; title: string }[]; queues: unknown };
    expect(data.epics.find((e) => e.id === seed.epics.hostile.id)?.title).toContain('<script>');
    expect(data.queues).toEqual({
      available: true,
      queues: [{ name: 'task', waiting: 4, active: 1, delayed: 0, failed: 2 }],
    });
  });

  it('serves epic and agent pages and their JSON, 404 for unknown ids', async () => {
    const epicPage = await fetch(`${open.url}/factory/epics/${seed.epics.darkMode.id}`);
    expect(epicPage.status).toBe(200);
    expect(await epicPage.text()).toContain('href="http://gh.test/acme/widgets/pull/21"');
    const agentJson = await fetch(`${open.url}/factory/api/agents/${seed.agents.busyWorker.id}`);
    expect(((await agentJson.json()) as { agent: { id: number } }).agent.id).toBe(
      seed.agents.busyWorker.id,
    );
    const epicJson = await fetch(`${open.url}/factory/api/epics/${seed.epics.darkMode.id}`);
    expect(((await epicJson.json()) as { tasks: unknown[] }).tasks).toHaveLength(4);
    expect((await fetch(`${open.url}/factory/epics/999999`)).status).toBe(404);
    expect((await fetch(`${open.url}/factory/api/agents/999999`)).status).toBe(404);
    expect((await fetch(`${open.url}/factory/api/nothing`)).status).toBe(404);
  });

  it('leaves other paths (the health check) to other handlers and refuses writes', async () => {
    expect((await fetch(`${open.url}/factory/healthz`)).status).toBe(418);
    expect((await fetch(`${open.url}/other`)).status).toBe(418);
    const post = await fetch(`${open.url}/factory`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${open.url}/factory`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves its assets from memory with ETags', async () => {
    const css = await fetch(`${open.url}/factory/assets/status.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const etag = css.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{20}"$/);
    const again = await fetch(`${open.url}/factory/assets/status.css`, {
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${open.url}/factory/assets/status.js`)).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await fetch(`${open.url}/factory/assets/missing.css`)).status).toBe(404);
  });

  it('pushes a changed epic to a browser following it, and nothing while it is unchanged', async () => {
    const epicId = seed.epics.darkMode.id;
    const page = await (await fetch(`${open.url}/factory/epics/${epicId}`)).text();
    const shown = /data-version="([0-9a-f]{16})"/.exec(page)?.[1];
    expect(shown).toBeDefined();
    const res = await fetch(`${open.url}/factory/events?view=epic:${epicId}&since=${shown}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const buffer = { text: '' };
    try {
      await handle.db
        .update(epics)
        .set({ state: 'BLOCKED', blockedReason: 'waiting for a person' })
        .where(eq(epics.id, epicId));
      // The browser already shows `shown`, so the first event it gets is the change.
      const changed = await nextEvent(reader, buffer, () => true);
      expect(changed.data.version).not.toBe(shown);
      expect(changed.block).toContain(`id: ${changed.data.version}`);
      expect(changed.data.html).toContain('<strong>Blocked:</strong> waiting for a person');
    } finally {
      await reader.cancel();
      await handle.db
        .update(epics)
        .set({ state: 'IN_PROGRESS', blockedReason: null })
        .where(eq(epics.id, epicId));
    }
  });

  it('rejects an unknown live view', async () => {
    expect((await fetch(`${open.url}/factory/events?view=task:1`)).status).toBe(400);
  });

  describe('with an access token', () => {
    it('asks for the token, as a page for people and JSON for the API', async () => {
      const page = await fetch(`${gated.url}/factory`);
      expect(page.status).toBe(401);
      const body = await page.text();
      expect(body).toContain('Access token required');
      expect(body).not.toContain('Add dark mode');
      const api = await fetch(`${gated.url}/factory/api/overview`);
      expect(api.status).toBe(401);
      expect(await api.json()).toEqual({ error: 'unauthorized: token required' });
      expect((await fetch(`${gated.url}/factory/events?view=overview`)).status).toBe(401);
    });

    it('lets a bearer token in', async () => {
      const ok = await fetch(`${gated.url}/factory/api/overview`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(ok.status).toBe(200);
      const wrong = await fetch(`${gated.url}/factory/api/overview`, {
        headers: { authorization: 'Bearer nope' },
      });
      expect(wrong.status).toBe(401);
    });

    it('trades a ?token= for an HttpOnly cookie and drops it from the URL', async () => {
      const res = await fetch(
        `${gated.url}/factory/epics/${seed.epics.darkMode.id}?token=${token}&x=1`,
        {
          redirect: 'manual',
        },
      );
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/factory/epics/${seed.epics.darkMode.id}?x=1`);
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/Path=\/factory/);
      expect(cookie).not.toContain(token);
      const withCookie = await fetch(`${gated.url}/factory`, {
        headers: { cookie: cookie.split(';')[0] ?? '' },
      });
      expect(withCookie.status).toBe(200);
      expect(await withCookie.text()).not.toContain(token);
      const wrong = await fetch(`${gated.url}/factory?token=wrong`, { redirect: 'manual' });
      expect(wrong.status).toBe(401);
    });

    it('serves assets without the token, so the token page is styled', async () => {
      expect((await fetch(`${gated.url}/factory/assets/status.css`)).status).toBe(200);
    });
  });
});
