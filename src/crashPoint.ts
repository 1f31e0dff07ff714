import { writeSync } from 'node:fs';
import type { Env } from './config/env.js';

/**
 * Named points in the merge queue where the crash tests and the recovery
 * bench kill the app (FACTORY_CRASH_AT), each in the middle of its step: the
 * step's work is partly done and nothing recorded it yet. Unset in any real
 * deployment, where reaching a point costs one comparison.
 */
export const crashPoints = [
  /** The supervisor's review ran, the review is not submitted. */
  'review',
  /** The head PR's branch was updated and pushed, the new head not recorded. */
  'update-branch',
  /** The next PR's branch was built on the head's and pushed, the speculation not recorded. */
  'speculate',
  /** GitHub merged the head PR, the queue did not record it. */
  'merge',
  /** The sub-issues are closed, the epic not yet marked completed. */
  'complete-epic',
] as const;
export type CrashPoint = (typeof crashPoints)[number];

const reached = new Map<string, number>();

/**
 * `FACTORY_CRASH_AT=<point>` kills the process (SIGKILL, its process group
 * with it: the agent engines it started) the first time it reaches `point`;
 * `<point>#<n>` the n-th time; `<a>,<b>,…` at whichever is reached first.
 */
export function crashPoint(env: Pick<Env, 'FACTORY_CRASH_AT'>, point: CrashPoint): void {
  if (env.FACTORY_CRASH_AT === undefined) return;
  const wanted = env.FACTORY_CRASH_AT.split(',')
    .map((entry) => entry.trim().split('#'))
    .find(([name]) => name === point);
  if (!wanted) return;
  const count = (reached.get(point) ?? 0) + 1;
  reached.set(point, count);
  if (count < Number(wanted[1] ?? 1)) return;
  // Written straight to stderr: a buffered logger would lose the line with the process.
  writeSync(
    2,
    `${JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, point, msg: 'crash point reached: killing the process' })}\n`,
  );
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // Not a process group leader: only this process.
  }
  process.kill(process.pid, 'SIGKILL');
}
