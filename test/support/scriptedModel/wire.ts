import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ReplyBlock, ReplyTurn } from './turn.js';

/** Writes a scripted reply the way the Messages API does: one JSON message, or an SSE stream. */

export function messageId(): string {
  return `msg_${randomBytes(12).toString('hex')}`;
}

export function replyMessage(turn: ReplyTurn, model: string, id: string) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: turn.content,
    stop_reason: turn.stopReason,
    stop_sequence: null,
    usage: turn.usage,
  };
}

export function writeJsonReply(res: ServerResponse, turn: ReplyTurn, model: string): void {
  const id = messageId();
  res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
  res.end(JSON.stringify(replyMessage(turn, model, id)));
}

export function writeStreamReply(res: ServerResponse, turn: ReplyTurn, model: string): void {
  const id = messageId();
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': `req_${id}`,
  });
  const send = (event: string, data: Record<string, unknown>) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  const start = replyMessage(turn, model, id);
  send('message_start', {
    message: {
      ...start,
      content: [],
      stop_reason: null,
      usage: { ...turn.usage, output_tokens: 1 },
    },
  });
  turn.content.forEach((block, index) => writeBlock(send, block, index));
  send('message_delta', {
    delta: { stop_reason: turn.stopReason, stop_sequence: null },
    usage: { output_tokens: turn.usage.output_tokens },
  });
  send('message_stop', {});
  res.end();
}

type Send = (event: string, data: Record<string, unknown>) => void;

/** Deltas are cut into pieces so the client's accumulation is exercised as with the real API. */
function writeBlock(send: Send, block: ReplyBlock, index: number): void {
  if (block.type === 'text') {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const piece of pieces(block.text)) {
      send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    }
  } else {
    send('content_block_start', {
      index,
      content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
    });
    for (const piece of pieces(JSON.stringify(block.input))) {
      send('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: piece },
      });
    }
  }
  send('content_block_stop', { index });
}

function pieces(text: string): string[] {
  if (text.length === 0) return [''];
  const size = Math.max(8, Math.ceil(text.length / 3));
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}

export function writeError(
  res: ServerResponse,
  status: number,
  errorType: string,
  message: string,
  shouldRetry?: boolean,
): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (shouldRetry !== undefined) headers['x-should-retry'] = String(shouldRetry);
  if (status === 429) headers['retry-after'] = '0';
  res.writeHead(status, headers);
  res.end(JSON.stringify({ type: 'error', error: { type: errorType, message } }));
}
