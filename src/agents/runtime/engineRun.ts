import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { UsageByModel } from './runRecords.js';

/**
 * Follows the engine's message stream of one run and keeps what the run's
 * outcome needs: the session id, the final text, the result's usage and any
 * API error the engine reported. Pure: fed one message at a time.
 */
export interface EngineRunState {
  sessionId?: string;
  text: string;
  numTurns: number;
  /** The result message arrived (the engine finished the turn). */
  finished: boolean;
  resultSubtype?: string;
  isError: boolean;
  /** The engine's API error code (`rate_limit`, `authentication_failed`, …), last seen. */
  apiError?: string;
  errorMessages: string[];
  usage: UsageByModel[];
  /** Usage from assistant messages, per message id: the fallback when no result arrives (abort). */
  streamedUsage: Map<string, UsageByModel>;
}

export function newEngineRunState(): EngineRunState {
  return {
    text: '',
    numTurns: 0,
    finished: false,
    isError: false,
    errorMessages: [],
    usage: [],
    streamedUsage: new Map(),
  };
}

export function observe(state: EngineRunState, message: SDKMessage): void {
  if ('session_id' in message && typeof message.session_id === 'string' && !state.sessionId) {
    state.sessionId = message.session_id;
  }
  switch (message.type) {
    case 'system':
      if (message.subtype === 'api_retry') state.apiError = message.error;
      return;
    case 'assistant':
      return observeAssistant(state, message);
    case 'result':
      state.finished = true;
      state.resultSubtype = message.subtype;
      state.isError = message.is_error;
      state.numTurns = message.num_turns;
      state.usage = Object.entries(message.modelUsage).map(([model, usage]) => ({
        model,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheReadTokens: usage.cacheReadInputTokens,
        cacheCreationTokens: usage.cacheCreationInputTokens,
        costUsd: usage.costUSD,
      }));
      if (message.subtype === 'success') state.text = message.result;
      else state.errorMessages.push(...message.errors);
      if (message.subtype === 'success' && message.is_error)
        state.errorMessages.push(message.result);
      return;
    default:
      return;
  }
}

function observeAssistant(
  state: EngineRunState,
  message: Extract<SDKMessage, { type: 'assistant' }>,
): void {
  if (message.error) state.apiError = message.error;
  if (message.parent_tool_use_id !== null) return;
  const texts = message.message.content.flatMap((block) =>
    block.type === 'text' ? [block.text] : [],
  );
  if (texts.length > 0) state.text = texts.join('\n');
  const usage = message.message.usage;
  if (message.message.model !== '<synthetic>' && usage) {
    state.streamedUsage.set(message.message.id, {
      model: message.message.model,
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      cacheReadTokens: usage.cache_read_input_tokens ?? 0,
      cacheCreationTokens: usage.cache_creation_input_tokens ?? 0,
      costUsd: 0,
    });
  }
}

/** The run's usage per model: the result's figures, or the streamed ones when the run was cut short. */
export function usageOf(state: EngineRunState): UsageByModel[] {
  if (state.usage.length > 0) return state.usage;
  return mergeUsage([...state.streamedUsage.values()]);
}

/** Sums entries of the same model. */
export function mergeUsage(entries: UsageByModel[]): UsageByModel[] {
  const byModel = new Map<string, UsageByModel>();
  for (const entry of entries) {
    const sum = byModel.get(entry.model) ?? {
      ...entry,
      costUsd: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheCreationTokens: 0,
    };
    sum.inputTokens += entry.inputTokens;
    sum.outputTokens += entry.outputTokens;
    sum.cacheReadTokens += entry.cacheReadTokens;
    sum.cacheCreationTokens += entry.cacheCreationTokens;
    sum.costUsd += entry.costUsd;
    byModel.set(entry.model, sum);
  }
  return [...byModel.values()];
}

/** `total` minus `already`, per model, never below zero: the part of a running total that is new. */
export function usageSince(total: UsageByModel[], already: UsageByModel[]): UsageByModel[] {
  return total
    .map((entry) => {
      const before = already.find((candidate) => candidate.model === entry.model);
      if (!before) return entry;
      return {
        model: entry.model,
        inputTokens: Math.max(0, entry.inputTokens - before.inputTokens),
        outputTokens: Math.max(0, entry.outputTokens - before.outputTokens),
        cacheReadTokens: Math.max(0, entry.cacheReadTokens - before.cacheReadTokens),
        cacheCreationTokens: Math.max(0, entry.cacheCreationTokens - before.cacheCreationTokens),
        costUsd: Math.max(0, entry.costUsd - before.costUsd),
      };
    })
    .filter(
      (entry) =>
        entry.inputTokens + entry.outputTokens + entry.cacheReadTokens + entry.cacheCreationTokens >
        0,
    );
}
