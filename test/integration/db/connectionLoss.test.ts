import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testPostgresUrl } from '../../support/database.js';

let handle: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  handle = await createTestDatabase('postgres');
});
afterAll(async () => {
  await handle?.close();
});

async function terminateConnectionsTo(url: string) {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('PostgreSQL closing idle connections', () => {
  it('is survived: the pool replaces them and the next query works', async () => {
    await handle.db.execute(sql`SELECT 1`);
    expect(await terminateConnectionsTo(handle.url ?? '')).toBeGreaterThan(0);
    // Unhandled, the idle client's error would fail this file as an uncaught exception.
    const result = (await handle.db.execute(sql`SELECT 41 + 1 AS answer`)) as { rows: unknown[] };
    expect(result.rows[0]).toEqual({ answer: 42 });
  });
});
