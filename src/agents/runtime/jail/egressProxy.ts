import { lookup } from 'node:dns/promises';
import http from 'node:http';
import { isIP, connect, type Socket } from 'node:net';

/**
 * The only way out of a setup command's jail besides nothing: an HTTP proxy
 * on a Unix socket bound into the jail, which lets through the hosts the
 * repository allows (`sandbox.allowHosts`) and refuses every other with 403.
 * HTTPS goes through CONNECT (the proxy sees the host, not the content);
 * plain HTTP is forwarded. A name that resolves to a loopback or link-local
 * address is refused unless the entry is that literal address, so a
 * permitted name cannot be pointed at the app's Redis or database.
 */

export interface EgressProxy {
  close(): Promise<void>;
}

export interface Destination {
  host: string;
  port: number;
}

/** Whether `host:port` is allowed by the list (`name`, `*.suffix`, optionally `:port`). */
export function isAllowedHost(allowHosts: readonly string[], to: Destination): boolean {
  const host = to.host.toLowerCase().replace(/^\[|\]$/g, '');
  return allowHosts.some((entry) => {
    const [pattern = '', port] = splitPort(entry.toLowerCase());
    if (port !== undefined && Number(port) !== to.port) return false;
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
    return host === pattern;
  });
}

function splitPort(entry: string): [string, string | undefined] {
  const match = /^(.*):(\d{1,5})$/.exec(entry);
  return match ? [match[1] ?? '', match[2]] : [entry, undefined];
}

function isInternal(address: string): boolean {
  return (
    /^127\./.test(address) ||
    /^0\./.test(address) ||
    /^169\.254\./.test(address) ||
    address === '::1' ||
    address === '::' ||
    /^fe80:/i.test(address) ||
    /^::ffff:(127|0|169\.254)\./i.test(address)
  );
}

/** Refuses with the reason, or the address to dial. */
async function resolveAllowed(
  allowHosts: readonly string[],
  to: Destination,
): Promise<{ ok: true; address: string } | { ok: false; reason: string }> {
  if (!isAllowedHost(allowHosts, to)) {
    return { ok: false, reason: `${to.host}:${to.port} is not in sandbox.allowHosts` };
  }
  if (isIP(to.host)) return { ok: true, address: to.host };
  const addresses = await lookup(to.host, { all: true }).catch(() => []);
  const usable = addresses.filter((entry) => !isInternal(entry.address));
  const first = usable[0];
  if (!first) return { ok: false, reason: `${to.host} resolves to no address the jail may reach` };
  return { ok: true, address: first.address };
}

export async function openEgressProxy(options: {
  socketPath: string;
  allowHosts: readonly string[];
  onRefused?: (destination: string, reason: string) => void;
}): Promise<EgressProxy> {
  const sockets = new Set<Socket>();
  const server = http.createServer((request, response) => {
    let target: URL;
    try {
      target = new URL(request.url ?? '');
    } catch {
      response.writeHead(400).end('absolute URL expected: this is a proxy\n');
      return;
    }
    const to = { host: target.hostname, port: Number(target.port || 80) };
    void resolveAllowed(options.allowHosts, to).then((verdict) => {
      if (!verdict.ok) {
        options.onRefused?.(`${to.host}:${to.port}`, verdict.reason);
        response.writeHead(403, { 'content-type': 'text/plain' }).end(`${verdict.reason}\n`);
        return;
      }
      const headers = { ...request.headers };
      delete headers['proxy-authorization'];
      delete headers['proxy-connection'];
      const upstream = http.request(
        {
          host: verdict.address,
          port: to.port,
          method: request.method,
          path: `${target.pathname}${target.search}`,
          headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', (error) => {
        if (!response.headersSent) response.writeHead(502);
        response.end(`${error.message}\n`);
      });
      request.pipe(upstream);
    });
  });
  server.on('connect', (request: http.IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const [host = '', port] = splitPort(request.url ?? '');
    const to = { host: host.replace(/^\[|\]$/g, ''), port: Number(port ?? 443) };
    void resolveAllowed(options.allowHosts, to).then((verdict) => {
      if (!verdict.ok) {
        options.onRefused?.(`${to.host}:${to.port}`, verdict.reason);
        client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\n${verdict.reason}\n`);
        return;
      }
      const upstream = connect(to.port, verdict.address, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', (error) => {
        if (!client.destroyed) client.end(`HTTP/1.1 502 Bad Gateway\r\n\r\n${error.message}\n`);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
