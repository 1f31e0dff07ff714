export interface AgentFailure {
  epicId: number;
  at: Date;
}

export interface CrashLoopRule {
  /** This many failures… */
  failures: number;
  /** …within this many minutes make a crash loop. */
  windowMinutes: number;
}

/**
 * Epics whose agents keep dying: re-queueing their work again would only burn
 * attempts and money, so these are parked BLOCKED and escalated to a person.
 */
export function findCrashLoops(
  failures: readonly AgentFailure[],
  now: Date,
  rule: CrashLoopRule,
): number[] {
  const since = now.getTime() - rule.windowMinutes * 60_000;
  const counts = new Map<number, number>();
  for (const failure of failures) {
    const at = failure.at.getTime();
    if (at < since || at > now.getTime()) continue;
    counts.set(failure.epicId, (counts.get(failure.epicId) ?? 0) + 1);
  }
  return [...counts]
    .filter(([, count]) => count >= rule.failures)
    .map(([epicId]) => epicId)
    .sort((a, b) => a - b);
}
