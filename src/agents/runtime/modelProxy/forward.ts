import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { sseUsageReader, usageFromJson, type ServedUsage } from './servedUsage.js';

/**
 * One request passed upstream with the real key, its answer passed back byte
 * for byte as it arrives (SSE stays a stream), its usage read on the way. The
 * answer's end is held until `beforeEnd` has run, so what was served is
 * recorded before the engine can send its next request.
 */

export interface Upstream {
  baseUrl?: string;
  apiKey?: string;
}

const defaultBaseUrl = 'https://api.anthropic.com';
/** Headers that carry a credential, describe the hop, or would compress what the proxy must read. */
const dropped = new Set([
  'x-api-key',
  'authorization',
  'host',
  'connection',
  'proxy-authorization',
  'accept-encoding',
]);
/** A JSON answer larger than this is passed on without its usage being read (none is that large). */
const jsonLimit = 8 * 1024 * 1024;

export function forward(
  upstream: Upstream,
  request: IncomingMessage,
  response: ServerResponse,
  beforeEnd: (usage: ServedUsage | undefined) => Promise<void>,
): void {
  const base = new URL(upstream.baseUrl ?? defaultBaseUrl);
  const client = base.protocol === 'https:' ? https : http;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!dropped.has(name) && value !== undefined) headers[name] = value;
  }
  if (upstream.apiKey) headers['x-api-key'] = upstream.apiKey;
  // Once per request: at the answer's end, or with what was read when either side hung up
  // mid-answer (the tokens of a cut stream were still spent upstream).
  let read: () => ServedUsage | undefined = () => undefined;
  let settled: Promise<void> | undefined;
  const settle = () => (settled ??= beforeEnd(read()).catch(() => undefined));
  const outgoing = client.request(
    {
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port || undefined,
      method: request.method,
      path: joinPath(base.pathname, request.url ?? '/'),
      headers,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders();
      const streamed = String(answer.headers['content-type'] ?? '').includes('text/event-stream');
      const sse = sseUsageReader('unknown');
      const json: Buffer[] = [];
      let jsonBytes = 0;
      read = () =>
        streamed ? sse.usage() : usageFromJson(Buffer.concat(json).toString('utf8'), 'unknown');
      answer.on('data', (chunk: Buffer) => {
        response.write(chunk);
        if (streamed) sse.push(chunk.toString('utf8'));
        else if (jsonBytes + chunk.length <= jsonLimit) {
          json.push(chunk);
          jsonBytes += chunk.length;
        }
      });
      answer.on('end', () => void settle().finally(() => response.end()));
      answer.on('error', () => void settle().finally(() => response.destroy()));
    },
  );
  // The engine hung up (it was stopped, or the jail ended): so does the proxy, upstream too.
  response.on('close', () => {
    if (response.writableFinished) return;
    outgoing.destroy();
    void settle();
  });
  outgoing.on('error', (error) => {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        type: 'error',
        error: { type: 'api_error', message: `model unreachable: ${error.message}` },
      }),
    );
  });
  request.pipe(outgoing);
}

function joinPath(basePath: string, requestPath: string): string {
  const prefix = basePath.replace(/\/+$/, '');
  return `${prefix}${requestPath.startsWith('/') ? '' : '/'}${requestPath}`;
}
