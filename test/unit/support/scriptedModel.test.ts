import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../support/scriptedModel/index.js';

/** The scripted model answers the real Anthropic SDK the way the Messages API does. */
describe('scripted model server', () => {
  let model: ScriptedModel;
  let client: Anthropic;

  beforeAll(async () => {
    model = await startScriptedModel();
    client = new Anthropic({ apiKey: 'test-key', baseURL: model.url, maxRetries: 0 });
  });
  afterAll(() => model.close());
  beforeEach(() => model.reset());

  const ask = (text: string, system = 'SYSTEM') => ({
    model: 'scripted-test-model',
    max_tokens: 1024,
    system,
    messages: [{ role: 'user' as const, content: text }],
  });

  it('streams a tool_use turn, then plays the next turn once the tool_result comes back', async () => {
    model.script(match.promptIncludes('TASK-1'), [
      turn.toolUse('Write', {
        file_path: '/tmp/a.txt',
        content: 'hello world, a long enough text',
      }),
      turn.text('all done', {
        usage: { input_tokens: 7, output_tokens: 3, cache_read_input_tokens: 5 },
      }),
    ]);
    const events: string[] = [];
    const stream = client.messages.stream(ask('do TASK-1'));
    stream.on('streamEvent', (event) => events.push(event.type));
    const first = await stream.finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content[0];
    expect(call?.type === 'tool_use' && call.name).toBe('Write');
    expect(call?.type === 'tool_use' && call.input).toEqual({
      file_path: '/tmp/a.txt',
      content: 'hello world, a long enough text',
    });
    expect(events).toEqual(
      expect.arrayContaining([
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]),
    );
    const toolUseId = call?.type === 'tool_use' ? call.id : '';
    const second = await client.messages
      .stream({
        ...ask('do TASK-1'),
        messages: [
          { role: 'user', content: 'do TASK-1' },
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: toolUseId, content: 'written' }],
          },
        ],
      })
      .finalMessage();
    expect(second.content).toEqual([{ type: 'text', text: 'all done' }]);
    expect(second.usage).toMatchObject({
      input_tokens: 7,
      output_tokens: 3,
      cache_read_input_tokens: 5,
    });
    const [, secondRequest] = model.messageRequests();
    expect(secondRequest?.view.turnIndex).toBe(1);
    expect(secondRequest?.view.lastToolResult).toEqual({
      toolUseId,
      content: 'written',
      isError: false,
    });
  });

  it('answers non-streaming requests with one JSON message', async () => {
    model.script(match.systemIncludes('planner'), [turn.text('a plan')]);
    const message = await client.messages.create(ask('hi', 'You are the planner'));
    expect(message.content).toEqual([{ type: 'text', text: 'a plan' }]);
    expect(message.stop_reason).toBe('end_turn');
  });

  it('picks the first matching script and records unmatched requests', async () => {
    model
      .script(match.all(match.promptIncludes('A'), match.turn(0)), [turn.text('first')])
      .script(match.promptIncludes('A'), [turn.text('second')])
      .script(match.lastToolResultIncludes('boom'), [turn.text('never')]);
    expect((await client.messages.create(ask('A'))).content).toEqual([
      { type: 'text', text: 'first' },
    ]);
    await client.messages.create(ask('nothing here'));
    expect(model.messageRequests().map((r) => [r.script, r.outcome])).toEqual([
      ['prompt includes "A" and turn 0', 'reply'],
      [undefined, 'unmatched'],
    ]);
  });

  it('answers with scripted error statuses the SDK classifies', async () => {
    model
      .script(match.promptIncludes('429'), [turn.error(429)])
      .script(match.promptIncludes('529'), [turn.error(529)])
      .script(match.promptIncludes('401'), [turn.error(401)])
      .script(match.promptIncludes('400'), [turn.error(400, { message: 'prompt is too long' })]);
    await expect(client.messages.create(ask('429'))).rejects.toBeInstanceOf(
      Anthropic.RateLimitError,
    );
    await expect(client.messages.create(ask('401'))).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    await expect(client.messages.create(ask('400'))).rejects.toThrow(/prompt is too long/);
    await expect(client.messages.create(ask('529'))).rejects.toMatchObject({
      status: 529,
      error: { error: { type: 'overloaded_error' } },
    });
  });

  it('hangs until the client gives up', async () => {
    model.script(match.promptIncludes('HANG'), [turn.hang()]);
    const controller = new AbortController();
    const pending = client.messages.create(ask('HANG'), { signal: controller.signal });
    await model.waitForRequest((r) => r.outcome === 'hang', 5_000);
    controller.abort();
    await expect(pending).rejects.toThrow();
  });

  it('serves many conversations at once, each at its own turn', async () => {
    for (const n of [1, 2, 3, 4, 5, 6]) {
      model.script(match.promptIncludes(`AGENT-${n}`), [
        turn.text(`hello ${n}`, { delayMs: 20 * (6 - n) }),
      ]);
    }
    const answers = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) => client.messages.stream(ask(`AGENT-${n}`)).finalMessage()),
    );
    expect(answers.map((a) => a.content[0])).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => ({ type: 'text', text: `hello ${n}` })),
    );
  });

  it('answers count_tokens and the models list, and 404s the rest', async () => {
    const counted = await client.messages.countTokens({
      model: 'scripted-test-model',
      messages: [{ role: 'user', content: 'count me' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('claude-sonnet-4-5');
    const missing = await fetch(`${model.url}/v1/nope`);
    expect(missing.status).toBe(404);
    expect(model.requests.map((r) => r.endpoint)).toEqual(['count_tokens', 'models', 'other']);
  });

  it('supports dynamic turns that read the request', async () => {
    model.script(match.always(), [
      turn.dynamic((request) => turn.text(`tools: ${request.toolNames.join(',')}`)),
    ]);
    const message = await client.messages.create({
      ...ask('x'),
      tools: [{ name: 'Read', input_schema: { type: 'object', properties: {} } }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'tools: Read' }]);
  });
});
