import { z } from 'zod';

/**
 * The tokens one Messages API answer used, read from the answer itself: the
 * JSON body's `usage`, or — streamed — `message_start`'s usage, updated by
 * `message_delta`, whose usage figures are cumulative (the last one seen wins).
 * Pure; the SSE reader is fed chunks as they pass through the proxy.
 */

export interface ServedUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
}

const usageSchema = z
  .object({
    input_tokens: z.number().int().nonnegative().nullish(),
    output_tokens: z.number().int().nonnegative().nullish(),
    cache_read_input_tokens: z.number().int().nonnegative().nullish(),
    cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
  })
  .loose();

const messageSchema = z.object({ model: z.string().optional(), usage: usageSchema.optional() });

const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: messageSchema }).loose(),
  z.object({ type: z.literal('message_delta'), usage: usageSchema.optional() }).loose(),
]);

type Usage = z.infer<typeof usageSchema>;

/** Fields present in `update` replace those in `base`: message_delta carries running totals. */
function apply(base: ServedUsage, update: Usage | undefined): ServedUsage {
  if (!update) return base;
  return {
    model: base.model,
    inputTokens: update.input_tokens ?? base.inputTokens,
    outputTokens: update.output_tokens ?? base.outputTokens,
    cacheReadTokens: update.cache_read_input_tokens ?? base.cacheReadTokens,
    cacheCreationTokens: update.cache_creation_input_tokens ?? base.cacheCreationTokens,
  };
}

function empty(model: string): ServedUsage {
  return { model, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };
}

/** From a whole JSON answer; undefined when it carries no usage (an error, count_tokens). */
export function usageFromJson(body: string, requestedModel: string): ServedUsage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const message = messageSchema.safeParse(parsed);
  if (!message.success || !message.data.usage) return undefined;
  return apply(empty(message.data.model ?? requestedModel), message.data.usage);
}

export interface SseUsageReader {
  /** Feed the stream's bytes as they pass, in order. */
  push(chunk: string): void;
  /** The usage so far (final once the stream ended); undefined before `message_start`. */
  usage(): ServedUsage | undefined;
}

export function sseUsageReader(requestedModel: string): SseUsageReader {
  let pending = '';
  let usage: ServedUsage | undefined;
  const readEvent = (block: string) => {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    const event = eventSchema.safeParse(parsed);
    if (!event.success) return;
    if (event.data.type === 'message_start') {
      usage = apply(empty(event.data.message.model ?? requestedModel), event.data.message.usage);
    } else {
      usage = apply(usage ?? empty(requestedModel), event.data.usage);
    }
  };
  return {
    push(chunk) {
      pending += chunk.replace(/\r\n/g, '\n');
      const blocks = pending.split('\n\n');
      pending = blocks.pop() ?? '';
      for (const block of blocks) readEvent(block);
    },
    usage: () => usage,
  };
}
