import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { deleteRedisPrefix } from '../../support/redis.js';
import type { FactoryLoop } from './loop.js';

/**
 * When a test failed: the end of the app's log (without the per-request
 * HTTP lines), since the work folder is about to be removed.
 */
export async function printLogTail(loop: FactoryLoop, lines = 80) {
  const log = await readFile(path.join(loop.workDir, 'factory.log'), 'utf8').catch(() => '');
  const tail = log
    .split('\n')
    .filter((line) => !line.includes('"name":"http"'))
    .slice(-lines);
  console.error(`last ${tail.length} lines of the app's log:\n${tail.join('\n')}`);
}

/**
 * Everything an end-to-end test file started, removed even when it failed:
 * the app's log tail first when a test failed, then the records connection,
 * the loop (its processes and work folder; FACTORY_E2E_KEEP=1 keeps the
 * folder to look at), the Redis prefix and the database.
 */
export async function tearDownLoop(started: {
  loop?: FactoryLoop;
  failed: boolean;
  records?: { close(): Promise<void> };
  redisPrefix: string;
  database?: { drop(): Promise<void> };
}) {
  const { loop } = started;
  if (loop && started.failed) await printLogTail(loop);
  await started.records?.close().catch(() => undefined);
  const keepWorkDir = process.env.FACTORY_E2E_KEEP === '1';
  await loop?.close({ keepWorkDir });
  if (loop && keepWorkDir) console.log(`work folder kept: ${loop.workDir}`);
  await deleteRedisPrefix(started.redisPrefix);
  await started.database?.drop();
}
