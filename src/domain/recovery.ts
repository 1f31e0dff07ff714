/**
 * Recovery, as the status page and the crash tests see it. Whenever the app
 * takes over or repairs work a crash interrupted — a lease taken over or
 * released, a dead agent's work handed on, a run taken over, a merge found
 * already done — it records a decision whose name starts with one of these
 * prefixes, naming what it took over and why. Work is *recovering* while such
 * a decision is the latest about it: nothing has moved since.
 */

export const recoveryDecisionPrefixes = [
  'lease-taken-over:',
  'lease-released:',
  'agent-dead:',
  'recovered:',
] as const;

export function isRecoveryDecision(decision: string): boolean {
  return recoveryDecisionPrefixes.some((prefix) => decision.startsWith(prefix));
}

export interface LatestDecision {
  decision: string;
  reasoning: string;
  createdAt: Date;
}

export interface Recovering {
  /** The recovery decision, e.g. `lease-taken-over: merge-queue-entry:4`. */
  decision: string;
  /** Why: what was taken over, from whom. */
  reason: string;
  since: Date;
}

/** Recovering when the latest decision about the work is a recovery; null otherwise. */
export function recoveringFrom(latest: LatestDecision | undefined): Recovering | null {
  if (!latest || !isRecoveryDecision(latest.decision)) return null;
  return { decision: latest.decision, reason: latest.reasoning, since: latest.createdAt };
}
