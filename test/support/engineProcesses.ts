import { execFileSync } from 'node:child_process';

/** Claude Code processes started by this test process (the engine the runner spawns). */
export function engineChildren(): string[] {
  const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((name) => name.trim() === 'claude');
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
