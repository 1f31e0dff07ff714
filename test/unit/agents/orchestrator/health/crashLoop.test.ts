import { describe, expect, it } from 'vitest';
import { findCrashLoops } from '../../../../../src/agents/orchestrator/health/crashLoop.js';

const now = new Date('2026-01-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const rule = { failures: 3, windowMinutes: 10 };

describe('findCrashLoops', () => {
  it('finds an epic with N failures inside the window', () => {
    const failures = [1, 4, 9].map((m) => ({ epicId: 7, at: minutesAgo(m) }));
    expect(findCrashLoops(failures, now, rule)).toEqual([7]);
  });

  it('ignores failures older than the window and epics with fewer failures', () => {
    const failures = [
      { epicId: 7, at: minutesAgo(1) },
      { epicId: 7, at: minutesAgo(2) },
      { epicId: 7, at: minutesAgo(11) },
      { epicId: 8, at: minutesAgo(1) },
    ];
    expect(findCrashLoops(failures, now, rule)).toEqual([]);
  });

  it('counts each epic separately and returns them in order', () => {
    const failures = [9, 3].flatMap((epicId) =>
      [1, 2, 3].map((m) => ({ epicId, at: minutesAgo(m) })),
    );
    expect(findCrashLoops(failures, now, rule)).toEqual([3, 9]);
    expect(findCrashLoops(failures, now, { failures: 4, windowMinutes: 10 })).toEqual([]);
  });
});

describe('findCrashLoops, counting crashes rather than agents', () => {
  const sameCrash = { ...rule, sameCrashSeconds: 60 };
  const secondsAgo = (s: number) => new Date(now.getTime() - s * 1000);

  it('counts agents of different tasks found dead together as one crash', () => {
    const failures = ['task:1', 'task:2', 'task:3'].map((subject, i) => ({
      epicId: 7,
      at: secondsAgo(30 - i * 5),
      subject,
    }));
    expect(findCrashLoops(failures, now, sameCrash)).toEqual([]);
    // Without subjects (or without the rule) each failure is a crash of its own, as before.
    expect(findCrashLoops(failures, now, rule)).toEqual([7]);
  });

  it('counts the same task dying again as another crash, however soon', () => {
    const failures = [50, 40, 30].map((s) => ({ epicId: 7, at: secondsAgo(s), subject: 'task:1' }));
    expect(findCrashLoops(failures, now, sameCrash)).toEqual([7]);
  });

  it('finds the loop when one process keeps crashing with all its workers', () => {
    const failures = [9, 5, 1].flatMap((m) =>
      ['task:1', 'task:2'].map((subject) => ({ epicId: 7, at: minutesAgo(m), subject })),
    );
    expect(findCrashLoops(failures, now, sameCrash)).toEqual([7]);
    expect(findCrashLoops(failures.slice(2), now, sameCrash)).toEqual([]);
  });
});
