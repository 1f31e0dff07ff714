import type { AgentKind, AgentState } from '../../../db/schema.js';

/**
 * What the queue says about the job an agent is running. `stalled` means the
 * job is still marked active but no worker holds its lock any more: the
 * process that ran it is gone (BullMQ renews the lock while a worker lives).
 */
export type JobLiveness =
  'running' | 'pending' | 'stalled' | 'failed' | 'finished' | 'missing' | 'none';

export interface AgentVitals {
  agentId: number;
  kind: AgentKind;
  state: AgentState;
  lastHeartbeatAt: Date | null;
  /** When the row last changed; stands in for a heartbeat the agent never wrote. */
  updatedAt: Date;
  job: JobLiveness;
  /** The reason BullMQ gives for a failed job. */
  jobFailure?: string;
}

export type DeathCause =
  | { kind: 'no-heartbeat'; silentForSeconds: number }
  | { kind: 'job-stalled' }
  | { kind: 'job-failed'; reason: string }
  | { kind: 'job-finished' }
  | { kind: 'job-missing' };

/**
 * Is this agent dead, and why? Only a BUSY agent is expected to show signs of
 * life: an IDLE one has nothing to do, a WAITING one waits for a person (which
 * may take days) and a FAILED one is already dead. The orchestrator itself is
 * never diagnosed — it is the one doing the diagnosing.
 */
export function diagnoseAgent(
  agent: AgentVitals,
  now: Date,
  heartbeatTimeoutSeconds: number,
): DeathCause | null {
  if (agent.state !== 'BUSY' || agent.kind === 'orchestrator') return null;
  switch (agent.job) {
    case 'stalled':
      return { kind: 'job-stalled' };
    case 'failed':
      return { kind: 'job-failed', reason: agent.jobFailure ?? 'the job failed' };
    case 'finished':
      return { kind: 'job-finished' };
    case 'missing':
      return { kind: 'job-missing' };
    case 'running':
    case 'pending':
    case 'none':
      break;
  }
  const lastSign = agent.lastHeartbeatAt ?? agent.updatedAt;
  const silentForSeconds = Math.floor((now.getTime() - lastSign.getTime()) / 1000);
  return silentForSeconds > heartbeatTimeoutSeconds
    ? { kind: 'no-heartbeat', silentForSeconds }
    : null;
}

export function describeDeath(cause: DeathCause): string {
  switch (cause.kind) {
    case 'no-heartbeat':
      return `no heartbeat for ${cause.silentForSeconds} s`;
    case 'job-stalled':
      return 'its job stalled: the process running it is gone';
    case 'job-failed':
      return `its job failed: ${cause.reason}`;
    case 'job-finished':
      return 'its job ended but the agent was never released';
    case 'job-missing':
      return 'its job no longer exists in the queue';
  }
}
