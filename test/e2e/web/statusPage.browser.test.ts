import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/db/connection.js';
import { epics, tasks } from '../../../src/db/schema.js';
import { createLogger } from '../../../src/logger.js';
import { createStatusPage, type StatusPageHandler } from '../../../src/web/statusPage.js';
import { createTestDatabase } from '../../support/database.js';
import { seedStatusPage, type StatusPageSeed } from '../../support/statusPageSeed.js';

/**
 * The status page in Debian's Chromium: seeded data, a link followed, a state
 * changed in the database showing up without a reload, hostile titles inert,
 * the token gate, and screenshots at laptop and phone widths.
 */
const artifacts = path.resolve('test-artifacts/status-page');
const token = 'browser-test-token-5678';
const laptop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };

async function serve(page: StatusPageHandler) {
  const server = http.createServer((req, res) => {
    void page(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, page, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('status page in a real browser', () => {
  let handle: DatabaseHandle;
  let seed: StatusPageSeed;
  let open: Awaited<ReturnType<typeof serve>>;
  let gated: Awaited<ReturnType<typeof serve>>;
  let browser: BrowserContext;
  let profile: string;
  const problems: string[] = [];

  async function newPage(viewport = laptop): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewportSize(viewport);
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    return page;
  }

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    handle = await createTestDatabase('postgres');
    seed = await seedStatusPage(handle.db);
    const log = createLogger('silent');
    const queueHealth = async () => ({
      available: true as const,
      queues: [
        { name: 'epic', waiting: 0, active: 1, delayed: 0, failed: 0 },
        { name: 'task', waiting: 2, active: 2, delayed: 1, failed: 1 },
      ],
    });
    open = await serve(createStatusPage({ db: handle.db, log, queueHealth, liveIntervalMs: 200 }));
    gated = await serve(
      createStatusPage({
        db: handle.db,
        log,
        queueHealth,
        accessToken: token,
        liveIntervalMs: 200,
      }),
    );
    profile = mkdtempSync(path.join(os.tmpdir(), 'factory-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    for (const running of [open, gated]) {
      if (!running) continue;
      running.page.close();
      running.server.closeAllConnections();
      await new Promise((resolve) => running.server.close(resolve));
    }
    await handle?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the overview and follows a link to an epic', async () => {
    const page = await newPage();
    await page.goto(`${open.url}/factory`);
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('live');
    const epicsTable = page.locator('#epics');
    await expect.poll(() => epicsTable.getByText('Add dark mode').count()).toBe(1);
    expect(await page.locator('#queues').innerText()).toMatch(/task\s+2\s+2\s+1\s+1/);
    await page.screenshot({ path: path.join(artifacts, 'overview-laptop.png'), fullPage: true });

    await epicsTable.getByRole('link', { name: 'Add dark mode' }).click();
    await page.waitForURL(`**/factory/epics/${seed.epics.darkMode.id}`);
    expect(await page.locator('h1').innerText()).toBe('Add dark mode');
    expect(await page.locator('#tasks tbody tr').count()).toBe(4);
    const prLink = page.locator('#tasks').getByRole('link', { name: 'PR #21' });
    expect(await prLink.getAttribute('href')).toBe('https://github.com/acme/widgets/pull/21');
    await page.screenshot({ path: path.join(artifacts, 'epic-laptop.png'), fullPage: true });
    await page.close();
  });

  it('shows a state change live, without a reload', async () => {
    const page = await newPage();
    await page.goto(`${open.url}/factory/epics/${seed.epics.darkMode.id}`);
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('live');
    // A reload would wipe this marker; a live update keeps it.
    await page.evaluate('window.__sameDocument = true');
    const row = page.locator('#tasks tbody tr', { hasText: 'Persist the choice' });
    expect(await row.locator('.badge').innerText()).toBe('in progress');

    await handle.db
      .update(tasks)
      .set({ state: 'REVIEW' })
      .where(eq(tasks.id, seed.tasks.implementing.id));
    await handle.db
      .update(epics)
      .set({ state: 'BLOCKED', blockedReason: 'a person must decide' })
      .where(eq(epics.id, seed.epics.darkMode.id));

    await expect.poll(() => row.locator('.badge').innerText(), { timeout: 15_000 }).toBe('review');
    await expect
      .poll(() => page.locator('.problem').first().innerText())
      .toContain('a person must decide');
    expect(await page.evaluate<boolean | undefined>('window.__sameDocument')).toBe(true);
    await page.close();
    await handle.db
      .update(tasks)
      .set({ state: 'IN_PROGRESS' })
      .where(eq(tasks.id, seed.tasks.implementing.id));
    await handle.db
      .update(epics)
      .set({ state: 'IN_PROGRESS', blockedReason: null })
      .where(eq(epics.id, seed.epics.darkMode.id));
  });

  it('renders hostile titles as text and runs none of them', async () => {
    const page = await newPage();
    for (const target of ['/factory', `/factory/epics/${seed.epics.hostile.id}`]) {
      await page.goto(`${open.url}${target}`);
      await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('live');
      expect(await page.evaluate<string | undefined>('window.__pwned')).toBeUndefined();
      expect(await page.locator('main script, main img').count()).toBe(0);
      expect(await page.locator('main').innerText()).toContain(
        `<script>window.__pwned = 'script'</script>`,
      );
    }
    expect(await page.locator('h1').innerText()).toContain('<img src=x onerror=');
    await page.screenshot({
      path: path.join(artifacts, 'hostile-epic-laptop.png'),
      fullPage: true,
    });
    await page.close();
  });

  it('is usable at phone width', async () => {
    const page = await newPage(phone);
    for (const [name, target] of [
      ['overview', '/factory'],
      ['epic', `/factory/epics/${seed.epics.darkMode.id}`],
      ['agent', `/factory/agents/${seed.agents.busyWorker.id}`],
    ] as const) {
      await page.goto(`${open.url}${target}`);
      await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('live');
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      expect(width, `${name} fits 390px without sideways scrolling`).toBeLessThanOrEqual(
        phone.width,
      );
      // Tables collapse into labelled rows: the header row is hidden.
      expect(await page.locator('thead').first().isVisible()).toBe(false);
      await page.screenshot({ path: path.join(artifacts, `${name}-phone.png`), fullPage: true });
    }
    await page.close();
  });

  it('asks for the token, then keeps the browser in with an HttpOnly cookie', async () => {
    const page = await newPage();
    const response = await page.goto(`${gated.url}/factory`);
    expect(response?.status()).toBe(401);
    expect(await page.locator('h1').innerText()).toBe('Access token required');
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.waitForURL(`${gated.url}/factory`);
    expect(page.url()).not.toContain(token);
    expect(await page.locator('#epics').innerText()).toContain('Add dark mode');
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    // EventSource cannot send headers: live updates get in with the cookie.
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('live');
    await page.close();

    const stranger = await chromium.launchPersistentContext(
      mkdtempSync(path.join(os.tmpdir(), 'factory-chromium-')),
      {
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      },
    );
    try {
      const other = await stranger.newPage();
      const denied = await other.goto(`${gated.url}/factory?token=wrong`);
      expect(denied?.status()).toBe(401);
      expect(await other.locator('main').innerText()).not.toContain('Add dark mode');
    } finally {
      await stranger.close();
    }
  });

  it('breaks no rule of its own Content-Security-Policy', () => {
    expect(problems.filter((p) => /Content Security Policy|Refused/.test(p))).toEqual([]);
    expect(problems.filter((p) => !/401/.test(p))).toEqual([]);
  });
});
