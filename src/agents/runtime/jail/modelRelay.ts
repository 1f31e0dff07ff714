import http from 'node:http';
import https from 'node:https';

/**
 * The model, served to one jail on a Unix socket bound into it: each request
 * the engine makes is forwarded to the model's address with the app's key put
 * on it here, so the jail never holds the key (the engine is given a
 * placeholder). This is the plain relay; the model proxy (per-run tokens,
 * budgets, counting) takes its place when it lands.
 */

export interface ModelRelay {
  close(): Promise<void>;
}

const defaultBaseUrl = 'https://api.anthropic.com';
/** Headers that carry a credential or describe the hop, not the request. */
const dropped = new Set([
  'x-api-key',
  'authorization',
  'host',
  'connection',
  'proxy-authorization',
]);

export async function openModelRelay(options: {
  socketPath: string;
  upstream: { baseUrl?: string; apiKey?: string };
}): Promise<ModelRelay> {
  const base = new URL(options.upstream.baseUrl ?? defaultBaseUrl);
  const client = base.protocol === 'https:' ? https : http;
  const server = http.createServer((request, response) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!dropped.has(name) && value !== undefined) headers[name] = value;
    }
    if (options.upstream.apiKey) headers['x-api-key'] = options.upstream.apiKey;
    const upstream = client.request(
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
        answer.pipe(response);
      },
    );
    // The engine hung up (it was stopped, or the jail ended): so does the relay, upstream too.
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    upstream.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          type: 'error',
          error: { type: 'api_error', message: `model unreachable: ${error.message}` },
        }),
      );
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function joinPath(basePath: string, requestPath: string): string {
  const prefix = basePath.replace(/\/+$/, '');
  return `${prefix}${requestPath.startsWith('/') ? '' : '/'}${requestPath}`;
}
