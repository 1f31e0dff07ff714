import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import {
  classifyError,
  kindOfEngineError,
  retryDelayMs,
} from '../../../../src/agents/runtime/classifyError.js';
import {
  mergeUsage,
  newEngineRunState,
  observe,
  usageOf,
  usageSince,
} from '../../../../src/agents/runtime/engineRun.js';

/** Engine messages as they arrive, trimmed to the fields the runner reads. */
const message = (value: Record<string, unknown>) => value as unknown as SDKMessage;

const usage = (model: string, input: number, output: number, cost = 0) => ({
  model,
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
  costUsd: cost,
});

describe('observe', () => {
  it('keeps the session, the final text, turns and the result usage per model', () => {
    const state = newEngineRunState();
    observe(state, message({ type: 'system', subtype: 'init', session_id: 's-1' }));
    observe(
      state,
      message({
        type: 'assistant',
        session_id: 's-1',
        parent_tool_use_id: null,
        message: {
          id: 'm1',
          model: 'claude-sonnet-4-5',
          content: [{ type: 'text', text: 'working' }],
          usage: { input_tokens: 5, output_tokens: 1 },
        },
      }),
    );
    observe(
      state,
      message({
        type: 'result',
        subtype: 'success',
        is_error: false,
        num_turns: 3,
        result: 'done',
        session_id: 's-1',
        modelUsage: {
          'claude-sonnet-4-5': {
            inputTokens: 10,
            outputTokens: 4,
            cacheReadInputTokens: 2,
            cacheCreationInputTokens: 1,
            costUSD: 0.5,
          },
        },
      }),
    );
    expect(state).toMatchObject({
      sessionId: 's-1',
      text: 'done',
      numTurns: 3,
      finished: true,
      isError: false,
    });
    expect(usageOf(state)).toEqual([
      {
        model: 'claude-sonnet-4-5',
        inputTokens: 10,
        outputTokens: 4,
        cacheReadTokens: 2,
        cacheCreationTokens: 1,
        costUsd: 0.5,
      },
    ]);
  });

  it('remembers the API error the engine reported and falls back to streamed usage without a result', () => {
    const state = newEngineRunState();
    observe(
      state,
      message({ type: 'system', subtype: 'api_retry', error: 'rate_limit', session_id: 's' }),
    );
    for (const id of ['m1', 'm1', 'm2']) {
      observe(
        state,
        message({
          type: 'assistant',
          session_id: 's',
          parent_tool_use_id: null,
          message: { id, model: 'm', content: [], usage: { input_tokens: 10, output_tokens: 2 } },
        }),
      );
    }
    expect(state.apiError).toBe('rate_limit');
    expect(state.finished).toBe(false);
    expect(usageOf(state)).toEqual([usage('m', 20, 4)]);
  });
});

describe('usage arithmetic', () => {
  it('takes what a resumed session added to its running totals', () => {
    expect(
      usageSince([usage('a', 300, 30, 3), usage('b', 5, 1)], [usage('a', 100, 10, 1)]),
    ).toEqual([usage('a', 200, 20, 2), usage('b', 5, 1)]);
    expect(usageSince([usage('a', 50, 5)], [usage('a', 100, 10)])).toEqual([]);
  });

  it('sums entries of the same model', () => {
    expect(mergeUsage([usage('a', 1, 1, 1), usage('b', 2, 2), usage('a', 3, 3, 1)])).toEqual([
      usage('a', 4, 4, 2),
      usage('b', 2, 2),
    ]);
  });
});

describe('classifyError', () => {
  it.each([
    ['rate_limit', 'rate_limit', true],
    ['overloaded', 'overloaded', true],
    ['server_error', 'overloaded', true],
    ['authentication_failed', 'authentication', false],
    ['billing_error', 'authentication', false],
    ['invalid_request', 'invalid_request', false],
    ['model_not_found', 'invalid_request', false],
    [undefined, 'engine', false],
  ] as const)('%s → %s (retryable: %s)', (code, kind, retryable) => {
    expect(kindOfEngineError(code)).toBe(kind);
    expect(classifyError(kindOfEngineError(code), '').retryable).toBe(retryable);
  });

  it('gives a default message when the engine gave none', () => {
    expect(classifyError('timeout', '  ').message).toMatch(/time limit/);
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(retryDelayMs(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
});
