import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { secrets } from '../secrets/registry.js';
import * as schema from './schema.js';

/**
 * One database handle for both back ends: PostgreSQL when DATABASE_URL is set,
 * embedded PGlite in a local data folder otherwise. Both run the same schema
 * and the same committed migrations (migrations/), applied at open.
 */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent PGlite is used. */
  databaseUrl?: string;
  /** PGlite's folder; `memory://` keeps it in memory (tests). */
  dataDir?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** `migrations/` at the project root, seen from src/db (tsx) or from dist/src/db (built). */
export const migrationsFolder =
  ['../../migrations', '../../../migrations']
    .map((relative) => path.resolve(here, relative))
    .find((folder) => existsSync(path.join(folder, 'meta', '_journal.json'))) ??
  path.resolve(here, '../../migrations');

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl)
    : openPglite(options.dataDir ?? '.data');
}

async function openPostgres(databaseUrl: string): Promise<DatabaseHandle> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  // A server that does not answer fails a query within 10 s (an infrastructure
  // error, retried) instead of holding it forever.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection the server closes (a restart, a failover, an admin's
  // terminate) is dropped by the pool and replaced on next use; the queries
  // that need it report their own errors. Unheard, this event would end the process.
  pool.on('error', () => undefined);
  try {
    const db = drizzle(pool, { schema, logger: redactingQueryLogger });
    await migrate(db, { migrationsFolder });
    return { db: db as unknown as Database, kind: 'postgres', close: () => pool.end() };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`Cannot open PostgreSQL at DATABASE_URL: ${describe(error)}`, { cause: error });
  }
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const inMemory = dataDir.startsWith('memory://');
  const folder = inMemory ? dataDir : path.resolve(dataDir, 'pglite');
  if (!inMemory) mkdirSync(folder, { recursive: true });
  const client = new PGlite(folder);
  try {
    const db = drizzle(client, { schema, logger: redactingQueryLogger });
    await migrate(db, { migrationsFolder });
    return { db: db as unknown as Database, kind: 'pglite', close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new Error(`Cannot open the embedded database in ${folder}: ${describe(error)}`, {
      cause: error,
    });
  }
}

/**
 * Drizzle hands every query's parameters to its logger just before the driver
 * gets them: the one place every insert and update of every table passes. Text
 * parameters are redacted there, so no row holds a secret value the app knows
 * (a test's output in a decision, an agent's mail, an error in a run record).
 */
const redactingQueryLogger = {
  logQuery(_query: string, params: unknown[]): void {
    params.forEach((param, index) => {
      if (typeof param === 'string') params[index] = secrets.redact(param);
    });
  },
};

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
