import { describe, expect, it } from 'vitest';
import {
  decideSessionStart,
  interruptedPrompt,
} from '../../../../src/agents/worker/sessionStart.js';

const interrupted = { sessionId: 'b1c2-d3', runId: 7, agentId: 3 };

describe('decideSessionStart', () => {
  it('resumes the session of an interrupted run whose transcript is there', () => {
    expect(decideSessionStart({ interrupted, transcriptExists: true })).toEqual({
      kind: 'resume',
      sessionId: 'b1c2-d3',
      reason: 'run 7 was interrupted; resuming its session b1c2-d3',
    });
  });

  it('starts fresh when the transcript is missing: the engine could not resume it', () => {
    const start = decideSessionStart({ interrupted, transcriptExists: false });
    expect(start.kind).toBe('fresh');
    expect(start.reason).toMatch(/transcript of its session b1c2-d3 is missing/);
    expect(start).not.toHaveProperty('sessionId');
  });

  it('starts fresh when nothing was interrupted (a first attempt, or a retry after a failed one)', () => {
    for (const transcriptExists of [true, false]) {
      expect(decideSessionStart({ interrupted: null, transcriptExists })).toEqual({
        kind: 'fresh',
        reason: 'no earlier run was interrupted',
      });
    }
  });
});

describe('interruptedPrompt', () => {
  it('says the run was interrupted and asks to continue, naming the attempt', () => {
    const prompt = interruptedPrompt(2);
    expect(prompt).toMatch(/You were interrupted/);
    expect(prompt).toMatch(/continue the task where you left off/);
    expect(prompt).toContain('attempt 2');
  });
});
