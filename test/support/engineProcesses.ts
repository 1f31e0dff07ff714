import { execFileSync } from 'node:child_process';

/**
 * Claude Code processes started by this test process (the engine the runner
 * spawns), and the jails (bwrap) they run in: every descendant of this process
 * with one of those names.
 */
export function engineChildren(): string[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  const rows = out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((row) => row.length >= 3)
    .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm: comm ?? '' }));
  const ours = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const row of rows) {
      if (ours.has(row.ppid) && !ours.has(row.pid)) {
        ours.add(row.pid);
        grew = true;
      }
    }
  }
  return rows
    .filter((row) => row.pid !== process.pid && ours.has(row.pid))
    .map((row) => row.comm)
    .filter((name) => name === 'claude' || name === 'bwrap');
}

/** Retries an assertion until it holds or the deadline passes. */
export async function eventuallyHolds(check: () => void, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
