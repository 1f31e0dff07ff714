import { describe, expect, it } from 'vitest';
import {
  decideLeaseClaim,
  decideLeaseRelease,
  leaseRetryMarginMs,
  leaseUntil,
  renewEveryMs,
  type HeldLease,
  type HolderJobLiveness,
} from '../../../src/domain/lease.js';

const now = new Date('2026-12-02T08:00:00Z');
const seconds = (n: number) => new Date(now.getTime() + n * 1000);
const held = (overrides: Partial<HeldLease> = {}): HeldLease => ({
  step: 'review-abc',
  holder: { job: 'merge-queue:advance-1', process: 'host:10:aa' },
  until: seconds(20),
  ...overrides,
});
const otherJob = { job: 'merge-queue:advance-2', process: 'host:11:bb' };

describe('decideLeaseClaim', () => {
  it('takes a free lease', () => {
    expect(decideLeaseClaim(null, otherJob, now)).toEqual({ kind: 'take' });
  });

  it('is busy while another live holder renews it, and says when to look again', () => {
    const decision = decideLeaseClaim(held(), otherJob, now);
    expect(decision).toMatchObject({ kind: 'busy', retryInMs: 20_000 + leaseRetryMarginMs });
    if (decision.kind === 'busy') expect(decision.reason).toContain('review-abc');
  });

  it('is busy for a second job of the same process too (a webhook arriving mid-review)', () => {
    const decision = decideLeaseClaim(
      held(),
      { job: 'merge-queue:advance-2', process: 'host:10:aa' },
      now,
    );
    expect(decision.kind).toBe('busy');
  });

  it('takes over a lease that lapsed: its holder stopped renewing it', () => {
    const decision = decideLeaseClaim(held({ until: seconds(-1) }), otherJob, now);
    expect(decision.kind).toBe('take-over');
    if (decision.kind === 'take-over') expect(decision.reason).toMatch(/lapsed/);
  });

  it('takes over at the very moment it lapses', () => {
    expect(decideLeaseClaim(held({ until: now }), otherJob, now).kind).toBe('take-over');
  });

  it('takes over at once when its own job runs again in another process (the earlier run died)', () => {
    const decision = decideLeaseClaim(
      held(),
      { job: 'merge-queue:advance-1', process: 'host:12:cc' },
      now,
    );
    expect(decision.kind).toBe('take-over');
    if (decision.kind === 'take-over') expect(decision.reason).toMatch(/same job/);
  });

  it('does not treat two claims outside any job as the same holder', () => {
    const decision = decideLeaseClaim(
      held({ holder: { job: null, process: 'a' } }),
      { job: null, process: 'b' },
      now,
    );
    expect(decision.kind).toBe('busy');
  });
});

describe('decideLeaseRelease', () => {
  const cases: [HolderJobLiveness, 'keep' | 'release'][] = [
    ['running', 'keep'],
    ['none', 'keep'],
    ['stalled', 'release'],
    ['pending', 'release'],
    ['failed', 'release'],
    ['finished', 'release'],
    ['missing', 'release'],
  ];
  it.each(cases)('a live lease whose job is %s: %s', (liveness, expected) => {
    expect(decideLeaseRelease(held(), liveness, now).kind).toBe(expected);
  });

  it('releases a lapsed lease even while its job still shows as running', () => {
    const decision = decideLeaseRelease(held({ until: seconds(-5) }), 'running', now);
    expect(decision.kind).toBe('release');
    if (decision.kind === 'release') expect(decision.reason).toMatch(/lapsed/);
  });

  it('names the step and its holder in the reason', () => {
    const decision = decideLeaseRelease(held(), 'stalled', now);
    if (decision.kind !== 'release') throw new Error('expected a release');
    expect(decision.reason).toContain('review-abc');
    expect(decision.reason).toContain('merge-queue:advance-1');
  });
});

describe('lease timing', () => {
  it('renews three times per lease length, so one late renewal does not lose it', () => {
    expect(renewEveryMs(30_000)).toBe(10_000);
    expect(leaseUntil(now, 30_000)).toEqual(seconds(30));
  });
});
