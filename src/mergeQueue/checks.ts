import type { RepoConfig } from '../config/repoConfig.js';

/**
 * Whether the commit to be merged passed its checks: GitHub check runs and
 * commit statuses reported on it, judged against `requiredChecks`. Pure.
 */

export interface CheckRunFact {
  /** Check runs are re-run under the same name; the highest id is the latest. */
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: string | null;
  /** What the check said (title, summary, text), for the worker when it failed. */
  output?: string;
  detailsUrl?: string | null;
}

export interface CommitStatusFact {
  context: string;
  state: 'success' | 'pending' | 'failure' | 'error';
  description?: string | null;
  targetUrl?: string | null;
}

export interface FailedCheck {
  name: string;
  conclusion: string;
  output: string;
  detailsUrl?: string | null;
}

export type ChecksVerdict =
  | { state: 'green'; passed: string[] }
  /** `nothingReported`: no check at all yet — no event may ever come, so look again later. */
  | { state: 'pending'; waitingFor: string[]; nothingReported?: boolean }
  | { state: 'failed'; failed: FailedCheck[] };

const passingConclusions = new Set(['success', 'neutral', 'skipped']);
/** A stale run was superseded; a newer one under the same name is expected. */
const pendingConclusions = new Set(['stale']);

interface Outcome {
  name: string;
  result: 'passed' | 'pending' | 'failed';
  failure?: FailedCheck;
}

function checkRunOutcome(run: CheckRunFact): Outcome {
  if (run.status !== 'completed' || run.conclusion === null) {
    return { name: run.name, result: 'pending' };
  }
  if (passingConclusions.has(run.conclusion)) return { name: run.name, result: 'passed' };
  if (pendingConclusions.has(run.conclusion)) return { name: run.name, result: 'pending' };
  return {
    name: run.name,
    result: 'failed',
    failure: {
      name: run.name,
      conclusion: run.conclusion,
      output: run.output ?? '',
      detailsUrl: run.detailsUrl,
    },
  };
}

function statusOutcome(status: CommitStatusFact): Outcome {
  if (status.state === 'success') return { name: status.context, result: 'passed' };
  if (status.state === 'pending') return { name: status.context, result: 'pending' };
  return {
    name: status.context,
    result: 'failed',
    failure: {
      name: status.context,
      conclusion: status.state,
      output: status.description ?? '',
      detailsUrl: status.targetUrl,
    },
  };
}

/** The latest run per name; GitHub keeps every re-run of a check on the commit. */
function latestRuns(runs: readonly CheckRunFact[]): CheckRunFact[] {
  const byName = new Map<string, CheckRunFact>();
  for (const run of runs) {
    const seen = byName.get(run.name);
    if (!seen || run.id > seen.id) byName.set(run.name, run);
  }
  return [...byName.values()];
}

export interface ChecksInput {
  checkRuns: readonly CheckRunFact[];
  statuses: readonly CommitStatusFact[];
  requiredChecks: RepoConfig['requiredChecks'];
  /**
   * With `requiredChecks: all`, a commit with nothing reported yet may simply be
   * waiting for CI to start; after this grace it counts as having no checks.
   */
  noChecksGraceExpired: boolean;
}

export function evaluateChecks(input: ChecksInput): ChecksVerdict {
  if (input.requiredChecks === 'none') return { state: 'green', passed: [] };
  const outcomes = new Map<string, Outcome>();
  // Statuses first so a check run of the same name (the richer report) wins.
  for (const status of input.statuses) outcomes.set(status.context, statusOutcome(status));
  for (const run of latestRuns(input.checkRuns)) outcomes.set(run.name, checkRunOutcome(run));

  const considered =
    input.requiredChecks === 'all'
      ? [...outcomes.values()]
      : input.requiredChecks.map(
          (name): Outcome => outcomes.get(name) ?? { name, result: 'pending' },
        );

  const failed = considered.flatMap((o) => (o.failure ? [o.failure] : []));
  if (failed.length > 0) return { state: 'failed', failed };
  const pending = considered.filter((o) => o.result === 'pending').map((o) => o.name);
  if (pending.length > 0) return { state: 'pending', waitingFor: pending };
  if (input.requiredChecks === 'all' && considered.length === 0 && !input.noChecksGraceExpired) {
    return { state: 'pending', waitingFor: ['(any check to be reported)'], nothingReported: true };
  }
  return { state: 'green', passed: considered.map((o) => o.name) };
}
