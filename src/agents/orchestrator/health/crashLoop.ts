export interface AgentFailure {
  epicId: number;
  at: Date;
  /**
   * What died: its task (or the agent, for one without a task). Failures of
   * different subjects close together are one crash; without it, every
   * failure counts on its own.
   */
  subject?: string;
}

export interface CrashLoopRule {
  /** This many crashes… */
  failures: number;
  /** …within this many minutes make a crash loop. */
  windowMinutes: number;
  /**
   * Agents of different tasks found dead within this many seconds of each
   * other died in one crash (the app's process went down with all of them).
   */
  sameCrashSeconds?: number;
}

/**
 * Epics whose agents keep dying: re-queueing their work again would only burn
 * attempts and money, so these are parked BLOCKED and escalated to a person.
 * What counts is crashes, not agents: one process dying with three workers
 * in it is one crash, while the same task dying again is another.
 */
export function findCrashLoops(
  failures: readonly AgentFailure[],
  now: Date,
  rule: CrashLoopRule,
): number[] {
  const since = now.getTime() - rule.windowMinutes * 60_000;
  const sameCrashMs = (rule.sameCrashSeconds ?? 0) * 1000;
  const byEpic = new Map<number, AgentFailure[]>();
  for (const failure of failures) {
    const at = failure.at.getTime();
    if (at < since || at > now.getTime()) continue;
    byEpic.set(failure.epicId, [...(byEpic.get(failure.epicId) ?? []), failure]);
  }
  return [...byEpic]
    .filter(([, epicFailures]) => countCrashes(epicFailures, sameCrashMs) >= rule.failures)
    .map(([epicId]) => epicId)
    .sort((a, b) => a - b);
}

/** Groups failures, in time order, into crashes: a crash takes each subject at most once. */
function countCrashes(failures: readonly AgentFailure[], sameCrashMs: number): number {
  const ordered = [...failures].sort((a, b) => a.at.getTime() - b.at.getTime());
  let crashes = 0;
  let crashStart = Number.NEGATIVE_INFINITY;
  let subjects = new Set<string>();
  for (const failure of ordered) {
    const at = failure.at.getTime();
    const joins =
      failure.subject !== undefined &&
      at - crashStart <= sameCrashMs &&
      !subjects.has(failure.subject);
    if (!joins) {
      crashes += 1;
      crashStart = at;
      subjects = new Set();
    }
    if (failure.subject !== undefined) subjects.add(failure.subject);
  }
  return crashes;
}
