import { secrets } from '../secrets/registry.js';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { securityHeaders } from './http.js';

/**
 * Live updates by server-sent events. For every view that at least one
 * browser follows, the server re-renders its main content on an interval —
 * once per view, however many browsers follow it — and pushes it when it
 * differs from what each browser last got. The database is the only source,
 * so changes made by worker processes elsewhere show up too.
 */
export interface LiveUpdatesOptions {
  /** The main content of a view, as HTML (the same function the page uses). */
  render(viewKey: string): Promise<string>;
  log: Logger;
  intervalMs: number;
  /** A comment line now and then keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
  maxClients?: number;
}

interface Client {
  res: ServerResponse;
  version: string | null;
}

function write(client: Client, text: string) {
  if (!client.res.writableEnded && !client.res.destroyed) client.res.write(secrets.redact(text));
}

export function contentVersion(fragment: string): string {
  return createHash('sha256').update(fragment).digest('hex').slice(0, 16);
}

export class LiveUpdates {
  private readonly views = new Map<string, Set<Client>>();
  private tick: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private checking: Promise<void> | null = null;

  constructor(private readonly options: LiveUpdatesOptions) {}

  get clientCount(): number {
    let count = 0;
    for (const clients of this.views.values()) count += clients.size;
    return count;
  }

  /** Takes over the response; `knownVersion` is what the browser already shows. */
  subscribe(
    viewKey: string,
    req: IncomingMessage,
    res: ServerResponse,
    knownVersion: string | null,
  ): boolean {
    if (this.clientCount >= (this.options.maxClients ?? 200)) return false;
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    const client: Client = { res, version: knownVersion };
    const clients = this.views.get(viewKey) ?? new Set<Client>();
    clients.add(client);
    this.views.set(viewKey, clients);
    req.on('close', () => this.unsubscribe(viewKey, client));
    this.start();
    void this.checkView(viewKey);
    return true;
  }

  close(): void {
    clearInterval(this.tick);
    clearInterval(this.heartbeat);
    this.tick = this.heartbeat = undefined;
    for (const clients of this.views.values()) for (const client of clients) client.res.end();
    this.views.clear();
  }

  private start() {
    if (this.tick) return;
    this.tick = setInterval(() => void this.checkAll(), this.options.intervalMs);
    this.heartbeat = setInterval(() => this.ping(), this.options.heartbeatMs ?? 20_000);
    this.tick.unref();
    this.heartbeat.unref();
  }

  private unsubscribe(viewKey: string, client: Client) {
    const clients = this.views.get(viewKey);
    clients?.delete(client);
    if (clients?.size === 0) {
      this.views.delete(viewKey);
    }
    if (this.views.size === 0) {
      clearInterval(this.tick);
      clearInterval(this.heartbeat);
      this.tick = this.heartbeat = undefined;
    }
  }

  /** One pass at a time: a slow database must not pile up overlapping renders. */
  private async checkAll() {
    if (this.checking) return;
    this.checking = (async () => {
      for (const viewKey of [...this.views.keys()]) await this.checkView(viewKey);
    })().finally(() => {
      this.checking = null;
    });
    await this.checking;
  }

  private async checkView(viewKey: string) {
    let html: string;
    try {
      html = await this.options.render(viewKey);
    } catch (error) {
      this.options.log.warn({ view: viewKey, err: error }, 'status page: live render failed');
      // The browser keeps what it shows but says it may be out of date.
      for (const client of this.views.get(viewKey) ?? [])
        write(client, 'event: stale\ndata: {}\n\n');
      return;
    }
    const version = contentVersion(html);
    for (const client of this.views.get(viewKey) ?? []) {
      if (client.version === version) continue;
      client.version = version;
      write(client, `id: ${version}\nevent: view\ndata: ${JSON.stringify({ version, html })}\n\n`);
    }
  }

  private ping() {
    for (const clients of this.views.values()) {
      for (const client of clients) write(client, ': keep-alive\n\n');
    }
  }
}
