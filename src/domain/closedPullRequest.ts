/**
 * Why a task is BLOCKED after a person closed its PR without merging it. The
 * merge queue writes it; reconciliation reads it back to tell such a task (a
 * reopened PR puts it back in the queue) from one blocked for any other
 * reason (a cancel, an escalation), which a reopened PR must not unblock.
 */
export function closedWithoutMergeReason(prNumber: number): string {
  return `PR #${prNumber} was closed without being merged`;
}

export function blockedByClosedPullRequest(
  blockedReason: string | null,
  prNumber: number,
): boolean {
  return blockedReason === closedWithoutMergeReason(prNumber);
}
