/**
 * The scripted model: a local HTTP server speaking the Anthropic Messages API,
 * for tests and the demo. Point the Anthropic SDK or the Claude Code engine at
 * it with `ANTHROPIC_BASE_URL=model.url` (any `ANTHROPIC_API_KEY` will do).
 *
 *   const model = await startScriptedModel();
 *   model
 *     .script(match.promptIncludes('TASK-1'), [
 *       turn.toolUse('Write', { file_path: '/abs/path/hello.txt', content: 'hi\n' }),
 *       turn.toolUse('Bash', { command: 'git status --short' }),
 *       turn.text('done'),
 *     ])
 *     .script(match.systemIncludes('You are the supervisor'), [
 *       turn.factoryTool('submit_plan', { tasks: [...] }), // = tool_use of mcp__factory__submit_plan
 *       turn.text('planned'),
 *     ]);
 *   …run agents with ANTHROPIC_BASE_URL = model.url…
 *   model.requests          // every request, in order (path, headers, body, view, outcome)
 *   model.messageRequests() // only POST /v1/messages, each with `view`
 *   await model.waitForRequest((r) => r.outcome === 'hang');
 *   await model.close();
 *
 * How a turn is chosen. Each `/v1/messages` request is matched against the
 * scripts in the order they were added; the first match answers. Its turn is
 * `turns[view.turnIndex]`, where turnIndex is the number of assistant
 * messages already in the request: the engine resends the whole conversation
 * each call, so this needs no server state and any number of conversations
 * (several agents at once) can run against one server. A conversation that
 * runs past its script gets a closing text (outcome 'exhausted'); a request
 * no script matches gets a short text (outcome 'unmatched') — check
 * `messageRequests().filter(r => r.outcome === 'unmatched')` in a test to
 * catch a matcher that missed.
 *
 * Matchers (`match.*`): promptIncludes (user text, not tool results — note that
 * Claude Code prepends <system-reminder> blocks to the first user message),
 * systemIncludes, lastToolResultIncludes, turn(n), offersTool(name), model,
 * all/any/not, where(label, fn).
 * Turns (`turn.*`): text, toolUse, toolUses (parallel calls), factoryTool,
 * error(status) — 429 rate_limit_error, 529 overloaded_error, 401
 * authentication_error, 400 invalid_request_error; `shouldRetry` sets the
 * `x-should-retry` header the client obeys — hang() (never answers, for
 * timeouts; close() drops it), dynamic(request => turn). Replies take
 * `{ usage, delayMs, heldUntil }` (heldUntil: a promise the reply waits for);
 * default usage is 100 input / 20 output tokens.
 * Streaming requests (`stream: true`) get SSE: message_start,
 * content_block_start, content_block_delta (text_delta / input_json_delta, in
 * several pieces), content_block_stop, message_delta (stop_reason, usage),
 * message_stop; others get one JSON message.
 *
 * What the Claude Code engine (agent SDK 0.3.332, engine 2.1.332) calls, as
 * recorded here: with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 (which the
 * runner always sets) only `POST /v1/messages?beta=true` with `stream: true`
 * and headers `x-api-key`, `anthropic-beta`, `x-claude-code-session-id`.
 * Also answered, harmlessly: `POST /v1/messages/count_tokens` (an estimate),
 * `GET /v1/models` (a short list), `HEAD` and `GET /` (200); anything else is
 * a recorded 404.
 *
 * A plain module (no test framework), so scripts/demo.ts can use it too.
 */
export { startScriptedModel } from './server.js';
export type {
  Endpoint,
  Outcome,
  RecordedRequest,
  ScriptedModel,
  ScriptedModelOptions,
} from './server.js';
export { match, type Matcher } from './match.js';
export { turn, defaultUsage } from './turn.js';
export type { ReplyTurn, ReplyBlock, ErrorTurn, Turn, ToolCall, Usage } from './turn.js';
export type { ModelRequest, ToolResultView } from './request.js';
