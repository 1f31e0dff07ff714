import { randomBytes } from 'node:crypto';
import type { ModelRequest } from './request.js';

/** One answer of the scripted model. */
export type Turn = ReplyTurn | ErrorTurn | HangTurn | DynamicTurn;

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export type ReplyBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface ReplyTurn {
  kind: 'reply';
  content: ReplyBlock[];
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens';
  usage: Usage;
  /** Wait this long before answering (the agent looks busy meanwhile). */
  delayMs: number;
  /** Answer only once this settles: the test decides when the agent's turn may end. */
  heldUntil?: Promise<unknown>;
}

export interface ErrorTurn {
  kind: 'error';
  status: number;
  errorType: string;
  message: string;
  /** Sent as `x-should-retry`, which the Anthropic client honours before its own retry rules. */
  shouldRetry?: boolean;
}

/** Never answers: the connection stays open until the client gives up or the server closes. */
export interface HangTurn {
  kind: 'hang';
}

export interface DynamicTurn {
  kind: 'dynamic';
  respond(request: ModelRequest): Turn;
}

export interface ReplyOptions {
  usage?: Partial<Usage>;
  delayMs?: number;
  heldUntil?: Promise<unknown>;
}

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  id?: string;
}

export const defaultUsage: Usage = {
  input_tokens: 100,
  output_tokens: 20,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const reply = (
  content: ReplyBlock[],
  stopReason: ReplyTurn['stopReason'],
  options: ReplyOptions = {},
): ReplyTurn => ({
  kind: 'reply',
  content,
  stopReason,
  usage: { ...defaultUsage, ...options.usage },
  delayMs: options.delayMs ?? 0,
  ...(options.heldUntil ? { heldUntil: options.heldUntil } : {}),
});

const toolUseBlock = (call: ToolCall): ReplyBlock => ({
  type: 'tool_use',
  id: call.id ?? `toolu_${randomBytes(10).toString('hex')}`,
  name: call.name,
  input: call.input,
});

export const turn = {
  /** A final answer: the agent's turn ends. */
  text: (text: string, options?: ReplyOptions): ReplyTurn =>
    reply([{ type: 'text', text }], 'end_turn', options),
  /** One tool call (built-in such as `Write`, `Bash`, or `mcp__factory__<tool>`), optionally after some text. */
  toolUse: (
    name: string,
    input: Record<string, unknown>,
    options?: ReplyOptions & { text?: string; id?: string },
  ): ReplyTurn =>
    reply(
      [
        ...(options?.text ? [{ type: 'text' as const, text: options.text }] : []),
        toolUseBlock({ name, input, id: options?.id }),
      ],
      'tool_use',
      options,
    ),
  /** Several tool calls in one turn (the engine runs them and answers all results together). */
  toolUses: (calls: ToolCall[], options?: ReplyOptions): ReplyTurn =>
    reply(calls.map(toolUseBlock), 'tool_use', options),
  /** A call of a Factory tool offered through the in-process MCP server named `factory`. */
  factoryTool: (name: string, input: Record<string, unknown>, options?: ReplyOptions): ReplyTurn =>
    reply([toolUseBlock({ name: `mcp__factory__${name}`, input })], 'tool_use', options),
  /** An API error: 429 rate limit, 529 overloaded, 401 authentication, 400 invalid request… */
  error: (
    status: number,
    options: { message?: string; errorType?: string; shouldRetry?: boolean } = {},
  ): ErrorTurn => ({
    kind: 'error',
    status,
    errorType: options.errorType ?? errorTypes[status] ?? 'api_error',
    message: options.message ?? `scripted ${status} error`,
    shouldRetry: options.shouldRetry,
  }),
  hang: (): HangTurn => ({ kind: 'hang' }),
  /**
   * Different answers to successive requests that reach this turn (the last
   * one repeats): e.g. `turn.sequence(turn.error(429), turn.text('ok'))` fails
   * once, then answers. The count is shared by every conversation the script matches.
   */
  sequence: (...answers: Turn[]): DynamicTurn => {
    let played = 0;
    return {
      kind: 'dynamic',
      respond: () => answers[Math.min(played++, answers.length - 1)] ?? turn.text(''),
    };
  },
  /** Decide the answer from the request itself (e.g. echo a value from a tool result). */
  dynamic: (respond: (request: ModelRequest) => Turn): DynamicTurn => ({
    kind: 'dynamic',
    respond,
  }),
};
