import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { beatWhileRunning } from '../../../../src/agents/runtime/heartbeatTimer.js';

describe('beatWhileRunning', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('beats at once and then every interval, with no engine message needed', async () => {
    const write = vi.fn(() => Promise.resolve(true));
    const beats = beatWhileRunning(write, 10_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(write).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(write).toHaveBeenCalledTimes(4);
    await beats.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(write).toHaveBeenCalledTimes(4);
  });

  it('tries a failed write again within a second, so a database restart leaves only its own gap', async () => {
    let databaseUp = true;
    const written: number[] = [];
    const write = vi.fn(() => {
      if (!databaseUp) return Promise.resolve(false);
      written.push(Date.now());
      return Promise.resolve(true);
    });
    const start = Date.now();
    const beats = beatWhileRunning(write, 10_000);
    await vi.advanceTimersByTimeAsync(9_000);
    databaseUp = false; // down from 9 s to just after 15 s: the beats at 10…15 s fail
    await vi.advanceTimersByTimeAsync(6_000);
    databaseUp = true;
    await vi.advanceTimersByTimeAsync(1_000);
    await beats.stop();
    // Written again at the first retry once it is back, not 10 s later.
    expect(written.map((at) => at - start)).toEqual([0, 16_000]);
  });

  it('never becomes a busy loop when asked for an interval of 0', async () => {
    const write = vi.fn(() => Promise.resolve(true));
    const beats = beatWhileRunning(write, 0);
    await vi.advanceTimersByTimeAsync(1_000);
    await beats.stop();
    expect(write.mock.calls.length).toBeLessThanOrEqual(5);
  });
});
