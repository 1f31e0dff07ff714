import { describe, expect, it } from 'vitest';
import {
  costUsd,
  unknownModelPrice,
} from '../../../../../src/agents/runtime/modelProxy/pricing.js';
import {
  sseUsageReader,
  usageFromJson,
} from '../../../../../src/agents/runtime/modelProxy/servedUsage.js';

const event = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const stream = [
  event('message_start', {
    message: {
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      usage: {
        input_tokens: 1200,
        output_tokens: 1,
        cache_read_input_tokens: 900,
        cache_creation_input_tokens: 30,
      },
    },
  }),
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hi' } }),
  event('content_block_stop', { index: 0 }),
  event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 57 } }),
  event('message_stop', {}),
].join('');

describe('usage read from an SSE answer', () => {
  it('takes message_start and the cumulative message_delta, however the bytes are cut', () => {
    for (const size of [1, 7, 64, stream.length]) {
      const reader = sseUsageReader('requested');
      for (let at = 0; at < stream.length; at += size) reader.push(stream.slice(at, at + size));
      expect(reader.usage(), `chunks of ${size}`).toEqual({
        model: 'claude-sonnet-4-5',
        inputTokens: 1200,
        outputTokens: 57,
        cacheReadTokens: 900,
        cacheCreationTokens: 30,
      });
    }
  });

  it('lets a message_delta that carries input figures replace them', () => {
    const reader = sseUsageReader('m');
    reader.push(
      event('message_start', { message: { model: 'm', usage: { input_tokens: 5 } } }) +
        event('message_delta', { usage: { input_tokens: 8, output_tokens: 3 } }),
    );
    expect(reader.usage()).toMatchObject({ inputTokens: 8, outputTokens: 3 });
  });

  it('reads CRLF streams and ignores pings, comments and garbage', () => {
    const reader = sseUsageReader('m');
    reader.push(
      ': comment\r\n\r\nevent: ping\r\ndata: {"type":"ping"}\r\n\r\ndata: not json\r\n\r\n',
    );
    expect(reader.usage()).toBeUndefined();
    reader.push(
      event('message_start', { message: { usage: { input_tokens: 4 } } }).replace(/\n/g, '\r\n'),
    );
    expect(reader.usage()).toMatchObject({ model: 'm', inputTokens: 4, outputTokens: 0 });
  });

  it('keeps what message_start said when the stream is cut before message_delta', () => {
    const reader = sseUsageReader('m');
    reader.push(stream.slice(0, stream.indexOf('message_delta')));
    expect(reader.usage()).toMatchObject({ inputTokens: 1200, outputTokens: 1 });
  });
});

describe('usage read from a JSON answer', () => {
  it('takes the body usage and model', () => {
    const body = JSON.stringify({
      type: 'message',
      model: 'claude-haiku-4-5',
      usage: { input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: null },
    });
    expect(usageFromJson(body, 'x')).toEqual({
      model: 'claude-haiku-4-5',
      inputTokens: 10,
      outputTokens: 2,
      cacheReadTokens: 0,
      cacheCreationTokens: 0,
    });
  });

  it('finds none in an error, a token count or a non-JSON body', () => {
    expect(usageFromJson('{"type":"error","error":{"type":"x","message":"y"}}', 'm')).toBe(
      undefined,
    );
    expect(usageFromJson('{"input_tokens":12}', 'm')).toBeUndefined();
    expect(usageFromJson('<html>', 'm')).toBeUndefined();
  });
});

describe('cost', () => {
  const usage = {
    inputTokens: 1_000_000,
    outputTokens: 1_000_000,
    cacheReadTokens: 1_000_000,
    cacheCreationTokens: 1_000_000,
  };
  it('prices a known model from the table', () => {
    expect(costUsd({ model: 'claude-sonnet-4-5-20250929', ...usage })).toBeCloseTo(
      3 + 15 + 0.3 + 3.75,
    );
  });
  it('prices an unknown model as the dearest known one', () => {
    const price = unknownModelPrice;
    expect(costUsd({ model: 'some-new-model', ...usage })).toBeCloseTo(
      price.input + price.output + price.cacheRead + price.cacheWrite,
    );
    expect(costUsd({ model: 'some-new-model', ...usage })).toBeGreaterThanOrEqual(
      costUsd({ model: 'claude-opus-4-1', ...usage }),
    );
  });
});
