import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  healthSchedulerId,
  reconcileSchedulerId,
  startOrchestratorSchedules,
} from '../../../../src/agents/orchestrator/schedules.js';
import { createOrchestratorHarness, type OrchestratorHarness } from './harness.js';

let h: OrchestratorHarness;
beforeAll(async () => {
  h = await createOrchestratorHarness({
    HEALTH_INTERVAL_SECONDS: '45',
    RECONCILE_INTERVAL_SECONDS: '240',
  });
});
afterAll(async () => h.close());

describe('orchestrator schedules', () => {
  it('schedules both passes at the configured intervals, once however often it starts, plus a start-up pass', async () => {
    await startOrchestratorSchedules(h.deps);
    await startOrchestratorSchedules(h.deps); // a second process starting
    const queue = h.deps.queues.queue('orchestrator');
    const schedulers = await queue.getJobSchedulers();
    expect(
      schedulers
        .map((s) => ({ key: s.key, every: Number(s.every), name: s.name }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual([
      { key: healthSchedulerId, every: 45_000, name: 'health-check' },
      { key: reconcileSchedulerId, every: 240_000, name: 'reconcile' },
    ]);
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    const startup = jobs.filter((job) => job.id?.includes('startup'));
    // One start-up pass of each per process start.
    expect(startup.map((job) => job.name).sort()).toEqual([
      'health-check',
      'health-check',
      'reconcile',
      'reconcile',
    ]);
  });
});
