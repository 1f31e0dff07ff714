import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/connection.js';
import type { Logger } from '../logger.js';
import { accessCookie, accessGate, type AccessGate } from './access.js';
import { loadAssets, type Asset } from './assets.js';
import { html, type SafeHtml } from './html.js';
import { isSecureRequest, securityHeaders, send, sendHtml, sendJson } from './http.js';
import { gitHubLinks } from './links.js';
import { contentVersion, LiveUpdates } from './live.js';
import { noQueueHealth, type QueueHealthReader } from './queueHealth.js';
import { readAgentDetail } from './readModel/agentDetail.js';
import { readEpicDetail } from './readModel/epicDetail.js';
import { readOverview } from './readModel/overview.js';
import type { ReadContext } from './readModel/shared.js';
import {
  isApiRoute,
  liveViewKey,
  matchRoute,
  parseLiveView,
  type LiveView,
  type Route,
} from './routes.js';
import { agentMain } from './views/agent.js';
import { epicMain } from './views/epic.js';
import { layout, messagePage } from './views/layout.js';
import { overviewMain } from './views/overview.js';

export interface StatusPageOptions {
  db: Database;
  log: Logger;
  /** STATUS_PAGE_TOKEN: when set, the page and its API require it. */
  accessToken?: string;
  /** With no token: why the page is closed (see exposure.ts); unset means open. */
  closedReason?: string;
  /** Where GitHub's web pages are (https://github.com, a GHE host, or the local emulator). */
  githubWebUrl?: string;
  /** Job counts per BullMQ queue; see `bullmqQueueHealth`. */
  queueHealth?: QueueHealthReader;
  /** How often followed views are re-read for live updates. */
  liveIntervalMs?: number;
  assetsDir?: string;
  /** Read at each page: a warning about the agents' jail (AGENT_SANDBOX=off, or no jail). */
  banner?: () => string | undefined;
}

/** A raw Node handler for Probot's `server.addHandler`; false means "not my path". */
export type StatusPageHandler = ((
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<boolean>) & {
  /** Ends live-update streams, so the HTTP server can close. */
  close(): void;
};

type Rendered = { title: string; main: SafeHtml } | null;

export function createStatusPage(options: StatusPageOptions): StatusPageHandler {
  const ctx: ReadContext = {
    db: options.db,
    links: gitHubLinks(options.githubWebUrl ?? 'https://github.com'),
  };
  const queueHealth = options.queueHealth ?? noQueueHealth;
  const gate = accessGate(options.accessToken, options.closedReason);
  const assets = loadAssets(options.assetsDir);

  async function renderView(view: LiveView): Promise<Rendered> {
    if (view.kind === 'overview') {
      return { title: 'Overview', main: overviewMain(await readOverview(ctx, queueHealth)) };
    }
    if (view.kind === 'epic') {
      const detail = await readEpicDetail(ctx, view.id);
      return detail && { title: detail.epic.title, main: epicMain(detail) };
    }
    const detail = await readAgentDetail(ctx, view.id);
    return detail && { title: `${detail.agent.kind} #${detail.agent.id}`, main: agentMain(detail) };
  }

  const live = new LiveUpdates({
    log: options.log,
    intervalMs: options.liveIntervalMs ?? 2_000,
    async render(viewKey) {
      const view = parseLiveView(viewKey);
      const rendered = view && (await renderView(view));
      return (rendered ? rendered.main : gone).value;
    },
  });

  async function page(req: IncomingMessage, res: ServerResponse, view: LiveView) {
    const rendered = await renderView(view);
    if (!rendered) return sendHtml(req, res, 404, notFoundPage(view));
    const body = layout({
      title: rendered.title,
      live: { view: liveViewKey(view), version: contentVersion(rendered.main.value) },
      main: rendered.main,
      gated: gate.enabled,
      banner: options.banner?.(),
    });
    sendHtml(req, res, 200, body.value);
  }

  async function api(req: IncomingMessage, res: ServerResponse, route: Route) {
    const data =
      route.kind === 'api-overview'
        ? await readOverview(ctx, queueHealth)
        : route.kind === 'api-epic'
          ? await readEpicDetail(ctx, route.id)
          : route.kind === 'api-agent'
            ? await readAgentDetail(ctx, route.id)
            : null;
    if (data === null) return sendJson(req, res, 404, { error: 'not found' });
    sendJson(req, res, 200, data);
  }

  async function serve(req: IncomingMessage, res: ServerResponse, route: Route, url: URL) {
    switch (route.kind) {
      case 'overview':
      case 'epic':
      case 'agent':
        return page(req, res, route);
      case 'api-overview':
      case 'api-epic':
      case 'api-agent':
      case 'api-not-found':
        return api(req, res, route);
      case 'events':
        return events(req, res, url);
      case 'asset':
        return serveAsset(req, res, assets.get(route.name));
      case 'not-found':
        return sendHtml(req, res, 404, messagePage('Not found', 'There is no such page.').value);
    }
  }

  function events(req: IncomingMessage, res: ServerResponse, url: URL) {
    const view = parseLiveView(url.searchParams.get('view'));
    if (!view)
      return sendJson(req, res, 400, { error: 'view must be overview, epic:<id> or agent:<id>' });
    const lastEventId = req.headers['last-event-id'];
    const known =
      (typeof lastEventId === 'string' ? lastEventId : null) ?? url.searchParams.get('since');
    if (!live.subscribe(liveViewKey(view), req, res, known)) {
      sendJson(
        req,
        res,
        503,
        { error: 'too many live connections; reload later' },
        { 'retry-after': '30' },
      );
    }
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://status.invalid');
    const route = matchRoute(url.pathname);
    if (!route) return false;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(req, res, 405, 'text/plain; charset=utf-8', 'Method not allowed', {
          allow: 'GET, HEAD',
        });
      } else if (route.kind === 'asset' || admit(req, res, route, url, gate)) {
        await serve(req, res, route, url);
      }
    } catch (error) {
      options.log.error({ err: error, path: url.pathname }, 'status page failed');
      if (!res.headersSent) {
        if (isApiRoute(route))
          sendJson(req, res, 500, { error: 'internal error; see the server log' });
        else
          sendHtml(
            req,
            res,
            500,
            messagePage('Something went wrong', 'The server log says why.').value,
          );
      } else res.end();
    }
    return true;
  };
  return Object.assign(handler, { close: () => live.close() });
}

/** Lets the request through, or answers it (401, or the redirect that sets the cookie). */
function admit(
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  url: URL,
  gate: AccessGate,
): boolean {
  const decision = gate.decide({
    authorization: req.headers.authorization,
    cookie: req.headers.cookie,
    queryToken: url.searchParams.get('token'),
  });
  if (decision.kind === 'open' || decision.kind === 'allowed') return true;
  if (decision.kind === 'grant') {
    // Drop the token from the address bar (and history) right away.
    url.searchParams.delete('token');
    res.writeHead(303, {
      ...securityHeaders,
      'cache-control': 'no-store',
      'set-cookie': accessCookie(decision.cookieValue, isSecureRequest(req)),
      location: `${url.pathname}${url.search}`,
    });
    res.end();
    return false;
  }
  const headers = { 'www-authenticate': 'Bearer realm="factory"' };
  if (isApiRoute(route) || route.kind === 'events') {
    sendJson(req, res, 401, { error: `unauthorized: ${decision.reason}` }, headers);
  } else if (decision.kind === 'closed') {
    sendHtml(req, res, 401, closedPage(decision.reason), headers);
  } else {
    sendHtml(req, res, 401, tokenPage(url.pathname, decision.reason), headers);
  }
  return false;
}

function serveAsset(req: IncomingMessage, res: ServerResponse, asset: Asset | undefined) {
  if (!asset) return send(req, res, 404, 'text/plain; charset=utf-8', 'No such asset');
  const headers = { etag: asset.etag, 'cache-control': 'no-cache' };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, { ...securityHeaders, ...headers });
    res.end();
    return;
  }
  send(req, res, 200, asset.contentType, asset.body, headers);
}

const gone = html`<section class="card message">
  <h1>Gone</h1>
  <p>This no longer exists. <a href="/factory">Back to the overview</a></p>
</section>`;

function notFoundPage(view: LiveView): string {
  const what =
    view.kind === 'epic' ? `epic ${view.id}` : `agent ${view.kind === 'agent' ? view.id : ''}`;
  return messagePage('Not found', `There is no ${what}.`).value;
}

function closedPage(reason: string): string {
  return layout({
    title: 'Status page closed',
    main: html`<section class="card message">
      <h1>Status page closed</h1>
      <p>
        This page shows issue titles, decisions and mail, so it is private by default. It is closed
        because ${reason}.
      </p>
    </section>`,
  }).value;
}

function tokenPage(path: string, reason: string): string {
  return layout({
    title: 'Access token required',
    main: html`<section class="card message">
      <h1>Access token required</h1>
      <p>
        This status page is private (${reason}). Enter the access token once; a cookie keeps you in.
      </p>
      <form method="get" action="${path}" class="token-form">
        <label
          >Token <input type="password" name="token" autocomplete="current-password" required
        /></label>
        <button type="submit">Open</button>
      </form>
    </section>`,
  }).value;
}
