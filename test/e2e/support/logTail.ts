import { readFile } from 'node:fs/promises';
import path from 'node:path';
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
