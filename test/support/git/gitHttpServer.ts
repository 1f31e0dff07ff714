import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real git remote over smart HTTP (git's own `http-backend` behind a tiny
 * Node server) that demands a token, like GitHub does. Tests use it to prove
 * that clone, fetch and push authenticate, and to see which credentials
 * reached the server.
 */
export interface GitHttpServer {
  /** e.g. http://127.0.0.1:1234/git — append `/<name>.git`. */
  baseUrl: string;
  /** Authorization headers received, in order ('' when absent). */
  authorizations: string[];
  close(): Promise<void>;
}

export async function startGitHttpServer(
  projectRoot: string,
  token: string,
): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const authorizations: string[] = [];
  const server = http.createServer((request, response) => {
    const auth = request.headers.authorization ?? '';
    authorizations.push(auth);
    if (auth !== expected) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      response.end('token required');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '',
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'x-access-token',
        REQUEST_METHOD: request.method ?? 'GET',
        PATH_INFO: url.pathname.replace(/^\/git/, ''),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: request.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
      },
    });
    request.pipe(backend.stdin);
    relayCgi(backend.stdout, response);
    backend.stderr.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/git`,
    authorizations,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Turns CGI output (headers, blank line, body) into the HTTP response. */
function relayCgi(output: NodeJS.ReadableStream, response: http.ServerResponse) {
  let head = Buffer.alloc(0);
  let headersDone = false;
  output.on('data', (chunk: Buffer) => {
    if (headersDone) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    response.writeHead(status, headers);
    response.write(head.subarray(end + 4));
  });
  output.on('end', () => response.end());
}
