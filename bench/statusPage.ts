/**
 * How fast the status page answers with a busy installation's worth of data:
 * 100 epics of 8 tasks, 60 agents, 6,000 decisions, 6,000 mail, 24,000 usage
 * rows. Prints p50/p95 per page and writes bench/results/status-page.json.
 *
 *   npm run bench:status-page            (PostgreSQL at TEST_DATABASE_URL)
 *   npm run bench:status-page -- pglite  (embedded)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Database } from '../src/db/connection.js';
import {
  agents,
  decisionLog,
  epics,
  mail,
  mergeQueueEntries,
  modelUsage,
  tasks,
} from '../src/db/schema.js';
import { createLogger } from '../src/logger.js';
import { createStatusPage } from '../src/web/statusPage.js';
import { createTestDatabase, type TestDatabaseKind } from '../test/support/database.js';

const size = {
  epics: 100,
  tasksPerEpic: 8,
  agents: 60,
  decisions: 6_000,
  mail: 6_000,
  usage: 24_000,
};
const rounds = 40;

async function seed(db: Database) {
  const epicRows = await db
    .insert(epics)
    .values(
      Array.from({ length: size.epics }, (_, i) => ({
        installationId: 1,
        repoId: 1,
        repoOwner: 'acme',
        repoName: 'widgets',
        issueNumber: 1_000 + i,
        issueId: 50_000 + i,
        title: `Epic ${i}: make the widgets better in some way`,
        state: (['PLANNING', 'IN_PROGRESS', 'COMPLETED'] as const)[i % 3],
      })),
    )
    .returning({ id: epics.id });
  const taskRows = await db
    .insert(tasks)
    .values(
      epicRows.flatMap((epic, e) =>
        Array.from({ length: size.tasksPerEpic }, (_, t) => ({
          epicId: epic.id,
          issueNumber: 5_000 + e * size.tasksPerEpic + t,
          issueId: 90_000 + e * size.tasksPerEpic + t,
          title: `Task ${t} of epic ${e}`,
          position: t,
          state: (['PENDING', 'IN_PROGRESS', 'REVIEW', 'COMPLETED'] as const)[t % 4],
          prNumber: t % 4 >= 2 ? 20_000 + e * size.tasksPerEpic + t : null,
        })),
      ),
    )
    .returning({ id: tasks.id, epicId: tasks.epicId, prNumber: tasks.prNumber });
  const agentRows = await db
    .insert(agents)
    .values(
      Array.from({ length: size.agents }, (_, i) => ({
        kind: i % 10 === 0 ? ('supervisor' as const) : ('worker' as const),
        state: (['IDLE', 'BUSY', 'WAITING'] as const)[i % 3],
        epicId: epicRows[i % epicRows.length]?.id,
        taskId: taskRows[i]?.id,
      })),
    )
    .returning({ id: agents.id });
  await db.insert(mergeQueueEntries).values(
    taskRows
      .filter((t) => t.prNumber !== null)
      .map((t, i) => ({
        epicId: t.epicId,
        taskId: t.id,
        prNumber: t.prNumber ?? 0,
        position: i,
      })),
  );
  const pick = <T>(rows: T[], i: number) => rows[i % rows.length] as T;
  for (let start = 0; start < size.decisions; start += 1_000) {
    await db.insert(decisionLog).values(
      Array.from({ length: 1_000 }, (_, i) => ({
        agentId: pick(agentRows, start + i).id,
        epicId: pick(epicRows, start + i).id,
        decision: `Decision ${start + i}`,
        reasoning: 'Because the checks are green and the review approved it.',
      })),
    );
    await db.insert(mail).values(
      Array.from({ length: 1_000 }, (_, i) => ({
        epicId: pick(epicRows, start + i).id,
        toAgentId: pick(agentRows, start + i).id,
        fromHuman: 'reviewer',
        body: 'Please rename the toggle and add a test.',
      })),
    );
  }
  for (let start = 0; start < size.usage; start += 2_000) {
    await db.insert(modelUsage).values(
      Array.from({ length: 2_000 }, (_, i) => {
        const task = pick(taskRows, start + i);
        return {
          agentId: pick(agentRows, start + i).id,
          epicId: task.epicId,
          taskId: task.id,
          model: 'claude-sonnet-4-5',
          inputTokens: 1_000,
          outputTokens: 200,
          costUsd: 0.006,
        };
      }),
    );
  }
  return { epicId: epicRows[1]?.id ?? 1, agentId: agentRows[1]?.id ?? 1 };
}

async function timeGets(url: string): Promise<{ p50: number; p95: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i += 1) {
    const started = performance.now();
    const res = await fetch(url);
    bytes = (await res.arrayBuffer()).byteLength;
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Number((times[Math.floor(q * (times.length - 1))] ?? 0).toFixed(1));
  return { p50: at(0.5), p95: at(0.95), bytes };
}

const kind: TestDatabaseKind = process.argv[2] === 'pglite' ? 'pglite' : 'postgres';
const handle = await createTestDatabase(kind);
try {
  const ids = await seed(handle.db);
  const page = createStatusPage({ db: handle.db, log: createLogger('silent') });
  const server = http.createServer((req, res) => void page(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const results = {
    database: kind,
    size,
    rounds,
    milliseconds: {
      overview: await timeGets(`${base}/factory`),
      overviewJson: await timeGets(`${base}/factory/api/overview`),
      epic: await timeGets(`${base}/factory/epics/${ids.epicId}`),
      agent: await timeGets(`${base}/factory/agents/${ids.agentId}`),
    },
    measuredAt: new Date().toISOString(),
  };
  page.close();
  server.close();
  console.table(Object.entries(results.milliseconds).map(([name, r]) => ({ page: name, ...r })));
  const out = path.resolve('bench/results', `status-page-${kind}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${out}`);
} finally {
  await handle.close();
}
