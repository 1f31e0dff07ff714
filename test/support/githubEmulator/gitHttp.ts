import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

const httpBackend = '/usr/lib/git-core/git-http-backend';

/**
 * Serves git's smart HTTP protocol for the bare repositories under `projectRoot`
 * by running `git http-backend` as a CGI script, as a real git server does.
 * Resolves when the response is finished (for a push: after the refs moved).
 */
export function serveGit(
  request: IncomingMessage,
  response: ServerResponse,
  options: {
    projectRoot: string;
    pathInfo: string;
    query: string;
    remoteUser: string;
    /** Runs before the response ends, so a pusher that waits for its push sees what followed it. */
    beforeEnd?: () => Promise<void>;
  },
): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(httpBackend, [], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: options.pathInfo,
        QUERY_STRING: options.query,
        REQUEST_METHOD: request.method ?? 'GET',
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        ...(request.headers['content-length']
          ? { CONTENT_LENGTH: request.headers['content-length'] }
          : {}),
        ...(request.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: request.headers['content-encoding'] }
          : {}),
        ...(request.headers['git-protocol']
          ? { GIT_PROTOCOL: String(request.headers['git-protocol']) }
          : {}),
        REMOTE_USER: options.remoteUser,
        REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
        SERVER_PROTOCOL: 'HTTP/1.1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    request.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let headersSent = false;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const altEnd = head.indexOf('\n\n');
      const cut =
        end >= 0 ? { at: end, length: 4 } : altEnd >= 0 ? { at: altEnd, length: 2 } : undefined;
      if (!cut) return;
      let status = 200;
      for (const line of head.subarray(0, cut.at).toString().split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 200;
        else response.setHeader(name, value);
      }
      response.writeHead(status);
      headersSent = true;
      response.write(head.subarray(cut.at + cut.length));
    });
    child.on('close', (code) => {
      if (!headersSent) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.write(`git http-backend failed (${code}): ${stderr}`);
      }
      void (options.beforeEnd?.() ?? Promise.resolve())
        .catch(() => undefined)
        .finally(() => {
          response.end();
          resolve();
        });
    });
  });
}
