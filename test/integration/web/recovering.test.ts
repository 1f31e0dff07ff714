import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/db/connection.js';
import { recordDecision } from '../../../src/db/decisions.js';
import { epics, tasks } from '../../../src/db/schema.js';
import { createLogger } from '../../../src/logger.js';
import { gitHubLinks } from '../../../src/web/links.js';
import { readEpicDetail } from '../../../src/web/readModel/epicDetail.js';
import { readOverview } from '../../../src/web/readModel/overview.js';
import { createStatusPage, type StatusPageHandler } from '../../../src/web/statusPage.js';
import { createTestDatabase, databaseKinds } from '../../support/database.js';

/**
 * The status page shows work a crash interrupted as recovering, with what
 * was taken over and why, for as long as that takeover is the latest thing
 * decided about it — and no longer once the work moved on.
 */

const hostileReason = `review-abc held by job advance:1 lapsed <script>window.__pwned = 1</script>`;
const queueHealth = async () => ({ available: true as const, queues: [] });

async function seed(db: DatabaseHandle['db']) {
  const base = { installationId: 42, repoId: 1001, repoOwner: 'acme', repoName: 'widgets' };
  const [active, done] = await db
    .insert(epics)
    .values([
      { ...base, issueNumber: 10, issueId: 9010, title: 'Add dark mode', state: 'IN_PROGRESS' },
      { ...base, issueNumber: 3, issueId: 9003, title: 'Start-up', state: 'COMPLETED' },
    ])
    .returning();
  if (!active || !done) throw new Error('seed: epics not inserted');
  const [takenOver, movedOn] = await db
    .insert(tasks)
    .values([
      { epicId: active.id, issueNumber: 12, issueId: 9012, title: 'Tokens', state: 'REVIEW' },
      { epicId: active.id, issueNumber: 13, issueId: 9013, title: 'Toggle', state: 'REVIEW' },
    ])
    .returning();
  if (!takenOver || !movedOn) throw new Error('seed: tasks not inserted');
  // The second task recovered and moved on since: a PR was opened after its dead agent was requeued.
  await recordDecision(db, {
    epicId: active.id,
    taskId: movedOn.id,
    decision: 'agent-dead:requeue',
    reasoning: 'no heartbeat for 40 s',
  });
  await recordDecision(db, {
    epicId: active.id,
    taskId: movedOn.id,
    decision: 'opened PR #21 for task #13',
  });
  // The first task's review was interrupted; its entry's lease was just taken over.
  await recordDecision(db, {
    epicId: active.id,
    taskId: takenOver.id,
    decision: 'merge-queue review: APPROVE',
  });
  await recordDecision(db, {
    epicId: active.id,
    taskId: takenOver.id,
    decision: 'lease-taken-over: merge-queue-entry:1',
    reasoning: hostileReason,
  });
  // A finished epic whose last word was a released lease is not recovering any more.
  await recordDecision(db, {
    epicId: done.id,
    decision: 'lease-released: merge-queue-entry:9',
    reasoning: 'its job ended without letting go',
  });
  return { active, done, takenOver, movedOn };
}

describe.each(databaseKinds)('recovering work on the status page, on %s', (kind) => {
  let handle: DatabaseHandle;
  let seeded: Awaited<ReturnType<typeof seed>>;
  let page: StatusPageHandler;
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    handle = await createTestDatabase(kind);
    seeded = await seed(handle.db);
    page = createStatusPage({ db: handle.db, log: createLogger('silent'), queueHealth });
    server = http.createServer((req, res) => {
      void page(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    page?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await handle?.close();
  });

  const ctx = () => ({ db: handle.db, links: gitHubLinks('https://github.com') });

  it('marks the epic and the task whose latest decision is a takeover, with the reason', async () => {
    const overview = await readOverview(ctx(), queueHealth);
    const active = overview.epics.find((e) => e.id === seeded.active.id);
    expect(active?.recovering).toMatchObject({
      decision: 'lease-taken-over: merge-queue-entry:1',
      reason: hostileReason,
    });
    expect(overview.epics.find((e) => e.id === seeded.done.id)?.recovering).toBeNull();

    const detail = await readEpicDetail(ctx(), seeded.active.id);
    const byTitle = new Map(detail?.tasks.map((t) => [t.title, t.recovering]));
    expect(byTitle.get('Tokens')).toMatchObject({
      decision: 'lease-taken-over: merge-queue-entry:1',
    });
    expect(byTitle.get('Toggle')).toBeNull();
  });

  it('is no longer recovering once the work moves on', async () => {
    await recordDecision(handle.db, {
      epicId: seeded.active.id,
      taskId: seeded.takenOver.id,
      decision: 'merge-queue merged',
    });
    const detail = await readEpicDetail(ctx(), seeded.active.id);
    expect(detail?.epic.recovering).toBeNull();
    expect(detail?.tasks.map((t) => t.recovering)).toEqual([null, null]);
    // Back as it was for the page test below.
    await recordDecision(handle.db, {
      epicId: seeded.active.id,
      taskId: seeded.takenOver.id,
      decision: 'recovered: merge found done',
      reasoning: hostileReason,
    });
  });

  it('shows a recovering badge and the reason on the overview and the epic page, escaped', async () => {
    for (const path of ['/factory', `/factory/epics/${seeded.active.id}`]) {
      const body = await (await fetch(`${url}${path}`)).text();
      expect(body, path).toContain('class="badge recovering"');
      expect(body, path).toContain('review-abc held by job advance:1 lapsed');
      expect(body, path).not.toContain('<script>window.__pwned');
      expect(body, path).toContain('&lt;script&gt;window.__pwned');
    }
    const epicPage = await (await fetch(`${url}/factory/epics/${seeded.active.id}`)).text();
    expect(epicPage).toContain('recovered: merge found done');
    // One badge for the epic's heading and one for its task; the task that moved on has none.
    expect(epicPage.match(/class="badge recovering"/g)).toHaveLength(2);
  });
});
