import { secrets } from '../secrets/registry.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Headers on every status page response. The CSP allows scripts, styles and
 * images from this server only, no inline script or handler: even if a value
 * slipped past escaping, the browser would not run it.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const securityHeaders: Record<string, string> = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  content: string | Buffer,
  headers: Record<string, string> = {},
): void {
  // The page is text the app writes like any other: no secret value it holds leaves in it.
  const body = typeof content === 'string' ? secrets.redact(content) : content;
  res.writeHead(status, {
    ...securityHeaders,
    'cache-control': 'no-store',
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function sendHtml(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  headers?: Record<string, string>,
): void {
  send(req, res, status, 'text/html; charset=utf-8', body, headers);
}

export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  headers?: Record<string, string>,
): void {
  // \u003c: the JSON stays inert even if something sniffs it as HTML.
  const body = JSON.stringify(value).replace(/</g, '\\u003c');
  send(req, res, status, 'application/json; charset=utf-8', body, headers);
}

export function isSecureRequest(req: IncomingMessage): boolean {
  const socket = req.socket as { encrypted?: boolean };
  return socket.encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}
