import type { ServerResponse } from 'node:http';

/**
 * Answers the proxy gives itself, shaped as the Messages API's errors
 * (`{ type: 'error', error: { type, message } }`) so the engine reports them
 * as it would the API's own. `x-should-retry: false`: retrying cannot help.
 */
export function refuse(
  response: ServerResponse,
  status: 400 | 401 | 404 | 502,
  errorType: 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'api_error',
  message: string,
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json', 'x-should-retry': 'false' });
  response.end(JSON.stringify({ type: 'error', error: { type: errorType, message } }));
}
