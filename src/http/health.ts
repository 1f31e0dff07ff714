import { sql } from 'drizzle-orm';
import type { Database } from '../db/connection.js';
import type { JobQueues } from '../queues/producer.js';
import { sendJson, type HttpHandler } from './types.js';

export const healthPath = '/factory/healthz';

export interface HealthReport {
  status: 'ok' | 'down';
  database: string;
  redis: string;
}

/** Each check answers within this time or counts as down: a hung dependency must not hang the probe. */
const checkTimeoutMs = 2_000;

export async function checkHealth(deps: {
  db: Database;
  queues: JobQueues;
}): Promise<HealthReport> {
  const [database, redis] = await Promise.all([
    probe(() => deps.db.execute(sql`select 1`)),
    probe(() => deps.queues.ping()),
  ]);
  return { status: database === 'up' && redis === 'up' ? 'ok' : 'down', database, redis };
}

async function probe(check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${checkTimeoutMs} ms`)),
      checkTimeoutMs,
    );
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch (error) {
    return `down: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /factory/healthz`: 200 when the database and Redis answer, 503 saying which did not. */
export function healthHandler(deps: { db: Database; queues: JobQueues }): HttpHandler {
  return async (request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== healthPath || (request.method !== 'GET' && request.method !== 'HEAD'))
      return false;
    const report = await checkHealth(deps);
    return sendJson(response, report.status === 'ok' ? 200 : 503, report);
  };
}
