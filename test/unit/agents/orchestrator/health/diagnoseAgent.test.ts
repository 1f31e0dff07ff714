import { describe, expect, it } from 'vitest';
import {
  describeDeath,
  diagnoseAgent,
  type AgentVitals,
} from '../../../../../src/agents/orchestrator/health/diagnoseAgent.js';

const now = new Date('2026-01-01T12:00:00Z');
const secondsAgo = (s: number) => new Date(now.getTime() - s * 1000);
const busy = (over: Partial<AgentVitals> = {}): AgentVitals => ({
  agentId: 1,
  kind: 'worker',
  state: 'BUSY',
  lastHeartbeatAt: secondsAgo(10),
  updatedAt: secondsAgo(100),
  job: 'running',
  ...over,
});

describe('diagnoseAgent', () => {
  it('finds a busy agent with a fresh heartbeat and a running job alive', () => {
    expect(diagnoseAgent(busy(), now, 300)).toBeNull();
  });

  it('declares a busy agent dead once its heartbeat is older than the timeout', () => {
    expect(diagnoseAgent(busy({ lastHeartbeatAt: secondsAgo(300) }), now, 300)).toBeNull();
    expect(diagnoseAgent(busy({ lastHeartbeatAt: secondsAgo(301) }), now, 300)).toEqual({
      kind: 'no-heartbeat',
      silentForSeconds: 301,
    });
  });

  it('falls back to the last change of the row when no heartbeat was ever written', () => {
    const agent = busy({ lastHeartbeatAt: null, updatedAt: secondsAgo(400) });
    expect(diagnoseAgent(agent, now, 300)).toMatchObject({ kind: 'no-heartbeat' });
    expect(diagnoseAgent({ ...agent, updatedAt: secondsAgo(5) }, now, 300)).toBeNull();
  });

  it('declares the agent dead at once when its job stalled, failed, ended or vanished', () => {
    expect(diagnoseAgent(busy({ job: 'stalled' }), now, 300)).toEqual({ kind: 'job-stalled' });
    expect(diagnoseAgent(busy({ job: 'failed', jobFailure: 'boom' }), now, 300)).toEqual({
      kind: 'job-failed',
      reason: 'boom',
    });
    expect(diagnoseAgent(busy({ job: 'finished' }), now, 300)).toEqual({ kind: 'job-finished' });
    expect(diagnoseAgent(busy({ job: 'missing' }), now, 300)).toEqual({ kind: 'job-missing' });
  });

  it('waits on a job that is queued again (a retry) unless the heartbeat is stale too', () => {
    expect(diagnoseAgent(busy({ job: 'pending' }), now, 300)).toBeNull();
    expect(
      diagnoseAgent(busy({ job: 'pending', lastHeartbeatAt: secondsAgo(900) }), now, 300),
    ).toMatchObject({ kind: 'no-heartbeat' });
  });

  it('leaves idle, waiting, failed and orchestrator agents alone', () => {
    const stale = { lastHeartbeatAt: secondsAgo(10_000), job: 'failed' as const };
    for (const state of ['IDLE', 'WAITING', 'FAILED'] as const) {
      expect(diagnoseAgent(busy({ ...stale, state }), now, 300)).toBeNull();
    }
    expect(diagnoseAgent(busy({ ...stale, kind: 'orchestrator' }), now, 300)).toBeNull();
  });

  it('describes every cause in words', () => {
    expect(describeDeath({ kind: 'no-heartbeat', silentForSeconds: 12 })).toBe(
      'no heartbeat for 12 s',
    );
    expect(describeDeath({ kind: 'job-stalled' })).toMatch(/stalled/);
    expect(describeDeath({ kind: 'job-failed', reason: 'x' })).toMatch(/failed: x/);
    expect(describeDeath({ kind: 'job-finished' })).toMatch(/never released/);
    expect(describeDeath({ kind: 'job-missing' })).toMatch(/no longer exists/);
  });
});
