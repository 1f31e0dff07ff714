import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testPostgresUrl } from '../../support/database.js';

/**
 * An empty PostgreSQL database for an app started as its own process (which
 * runs the migrations itself); dropped by `drop`.
 */
export async function createEmptyDatabase() {
  const name = `factory_e2e_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: testPostgresUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
