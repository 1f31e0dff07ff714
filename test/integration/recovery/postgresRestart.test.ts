import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  retryInfrastructure,
  writeIfYouCan,
} from '../../../src/agents/runtime/infrastructureRetry.js';
import { finishRun, heartbeat, startRun } from '../../../src/agents/runtime/runRecords.js';
import { createAgent } from '../../../src/db/agents.js';
import { openDatabase, type DatabaseHandle } from '../../../src/db/connection.js';
import { agentRuns } from '../../../src/db/schema.js';
import { startPrivatePostgres, type PrivatePostgres } from '../../support/privatePostgres.js';

/**
 * A run's records across a restart of PostgreSQL (a private cluster, never
 * the shared server): heartbeats while it is down fail without failing the
 * run, and the run's end is written once it is back — the run never stays
 * `running`.
 */

const log = pino({ level: 'silent' });
let pg: PrivatePostgres;
let handle: DatabaseHandle;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  handle = await openDatabase({ databaseUrl: pg.url });
}, 60_000);
afterAll(async () => {
  await handle?.close().catch(() => undefined);
  pg?.remove();
});

describe('PostgreSQL restarted mid-run', () => {
  it('costs the run nothing: heartbeats are skipped while it is down and the end is recorded once it is back', async () => {
    const { db } = handle;
    const agent = await createAgent(db, { kind: 'worker', installationId: 1 });
    const runId = await startRun(db, {
      agentId: agent.id,
      purpose: 'implement',
      model: 'm',
      prompt: 'p',
    });
    expect(await writeIfYouCan(log, 'write a heartbeat', () => heartbeat(db, agent.id))).toBe(true);

    pg.stop();
    expect(await writeIfYouCan(log, 'write a heartbeat', () => heartbeat(db, agent.id))).toBe(
      false,
    );
    // The end of the run comes while the server is still down; it starts again meanwhile.
    const restart = new Promise<void>((resolve) =>
      setTimeout(() => {
        pg.start();
        resolve();
      }, 1_500),
    );
    await retryInfrastructure(
      'record the end of the run',
      () => finishRun(db, runId, { status: 'succeeded', numTurns: 3 }),
      { log, tries: 12, baseDelayMs: 500 },
    );
    await restart;
    const [run] = await db.select().from(agentRuns).where(eq(agentRuns.id, runId));
    expect(run?.status).toBe('succeeded');
  }, 90_000);
});
