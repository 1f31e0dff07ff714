import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A route served beside the webhooks by Probot's server: returns true when it
 * answered the request, false to let the next handler try.
 */
export type HttpHandler = (
  request: IncomingMessage,
  response: ServerResponse,
) => boolean | Promise<boolean>;

export function sendJson(response: ServerResponse, status: number, body: unknown): true {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
  return true;
}
