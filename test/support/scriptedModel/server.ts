import { EventEmitter } from 'node:events';
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Matcher } from './match.js';
import { messagesBodySchema, viewRequest, type ModelRequest } from './request.js';
import { turn as turns, type ReplyTurn, type Turn } from './turn.js';
import { writeError, writeJsonReply, writeStreamReply } from './wire.js';

export type Endpoint = 'messages' | 'count_tokens' | 'models' | 'other';

/** How a request was answered. */
export type Outcome = 'reply' | 'error' | 'hang' | 'unmatched' | 'exhausted' | 'bad_request';

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Path with query string, e.g. `/v1/messages?beta=true`. */
  path: string;
  endpoint: Endpoint;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: unknown;
  /** For `/v1/messages`: the matchers' view of the request. */
  view?: ModelRequest;
  /** Label of the script that answered. */
  script?: string;
  outcome?: Outcome;
  /** The reply played, when the outcome is a reply. */
  reply?: ReplyTurn;
  /** The client went away before an answer was complete (e.g. a hung request whose agent was stopped). */
  abandoned?: boolean;
}

export interface ScriptedModelOptions {
  port?: number;
  host?: string;
  /** Answer to a Messages request no script matches; a short text by default. */
  unmatched?: Turn;
  /**
   * The model name replies carry (what usage records and the status page show);
   * by default the requested one. The demo labels itself so nobody mistakes it for Claude.
   */
  answerAs?: string;
}

interface Script {
  matcher: Matcher;
  turns: Turn[];
}

export interface ScriptedModel {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every request received, in order of arrival. */
  readonly requests: RecordedRequest[];
  /**
   * Plays `turns` for conversations whose requests match: the request's turn
   * index (assistant turns already in it) picks the turn. The first script
   * added that matches wins. Returns the model for chaining.
   */
  script(matcher: Matcher, turns: Turn[]): ScriptedModel;
  /** Only the `/v1/messages` requests, with their views. */
  messageRequests(): Array<RecordedRequest & { view: ModelRequest }>;
  /**
   * Resolves with the first recorded request (past or future) satisfying
   * `predicate`; it is checked again whenever a request arrives or is abandoned.
   */
  waitForRequest(
    predicate: (request: RecordedRequest) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedRequest>;
  /** Forgets scripts and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export async function startScriptedModel(
  options: ScriptedModelOptions = {},
): Promise<ScriptedModel> {
  const scripts: Script[] = [];
  const requests: RecordedRequest[] = [];
  const arrivals = new EventEmitter();
  arrivals.setMaxListeners(0);
  const unmatched = options.unmatched ?? turns.text('(scripted model: no script matched)');

  const server = http.createServer((req, res) => {
    readBody(req)
      .then((raw) => {
        const recorded = record(req, raw);
        requests.push(recorded);
        res.on('close', () => {
          if (res.writableFinished) return;
          recorded.abandoned = true;
          arrivals.emit('request', recorded);
        });
        answer(recorded, res);
        arrivals.emit('request', recorded);
      })
      .catch((error: unknown) => {
        if (!res.headersSent) writeError(res, 500, 'api_error', String(error));
      });
  });

  function record(req: IncomingMessage, raw: string): RecordedRequest {
    const path = req.url ?? '/';
    return {
      seq: requests.length,
      method: req.method ?? 'GET',
      path,
      endpoint: endpointOf(req.method ?? 'GET', path),
      headers: req.headers,
      body: parseJson(raw),
    };
  }

  function answer(recorded: RecordedRequest, res: ServerResponse): void {
    switch (recorded.endpoint) {
      case 'messages':
        return answerMessages(recorded, res);
      case 'count_tokens':
        return sendJson(res, 200, {
          input_tokens: Math.ceil(JSON.stringify(recorded.body ?? '').length / 4),
        });
      case 'models':
        return sendJson(res, 200, modelList);
      default:
        if (recorded.method === 'HEAD' || recorded.path === '/') return sendJson(res, 200, {});
        return writeError(res, 404, 'not_found_error', `scripted model: no ${recorded.path}`);
    }
  }

  function answerMessages(recorded: RecordedRequest, res: ServerResponse): void {
    const parsed = messagesBodySchema.safeParse(recorded.body);
    if (!parsed.success) {
      recorded.outcome = 'bad_request';
      return writeError(res, 400, 'invalid_request_error', parsed.error.message);
    }
    const sessionHeader = recorded.headers['x-claude-code-session-id'];
    const view = viewRequest(
      parsed.data,
      typeof sessionHeader === 'string' ? sessionHeader : undefined,
    );
    recorded.view = view;
    const script = scripts.find((candidate) => candidate.matcher.test(view));
    recorded.script = script?.matcher.label;
    let chosen: Turn;
    if (!script) {
      recorded.outcome = 'unmatched';
      chosen = unmatched;
    } else if (view.turnIndex >= script.turns.length) {
      recorded.outcome = 'exhausted';
      chosen = turns.text(
        `(scripted model: "${script.matcher.label}" has no turn ${view.turnIndex})`,
      );
    } else {
      chosen = script.turns[view.turnIndex] as Turn;
    }
    play(resolveDynamic(chosen, view), recorded, res, parsed.data.stream === true);
  }

  function play(chosen: Turn, recorded: RecordedRequest, res: ServerResponse, stream: boolean) {
    if (chosen.kind === 'hang') {
      recorded.outcome = 'hang';
      return;
    }
    if (chosen.kind === 'error') {
      recorded.outcome = 'error';
      return writeError(res, chosen.status, chosen.errorType, chosen.message, chosen.shouldRetry);
    }
    if (chosen.kind !== 'reply') return;
    recorded.outcome ??= 'reply';
    recorded.reply = chosen;
    const model = options.answerAs ?? recorded.view?.body.model ?? 'scripted';
    const write = () =>
      stream ? writeStreamReply(res, chosen, model) : writeJsonReply(res, chosen, model);
    const go = () => {
      if (res.destroyed) return; // the client gave up while the turn was held
      if (chosen.delayMs > 0) setTimeout(write, chosen.delayMs).unref();
      else write();
    };
    if (chosen.heldUntil) void chosen.heldUntil.then(go, go);
    else go();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const model: ScriptedModel = {
    url: `http://${host}:${address.port}`,
    requests,
    script(matcher, playList) {
      scripts.push({ matcher, turns: playList });
      return model;
    },
    messageRequests() {
      return requests.filter(
        (request): request is RecordedRequest & { view: ModelRequest } =>
          request.view !== undefined,
      );
    },
    waitForRequest(predicate, timeoutMs = 30_000) {
      const seen = requests.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const onRequest = (request: RecordedRequest) => {
          if (!predicate(request)) return;
          clearTimeout(timer);
          arrivals.off('request', onRequest);
          resolve(request);
        };
        const timer = setTimeout(() => {
          arrivals.off('request', onRequest);
          reject(new Error(`scripted model: no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        arrivals.on('request', onRequest);
      });
    },
    reset() {
      scripts.length = 0;
      requests.length = 0;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        // Hung requests and keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      });
    },
  };
  return model;
}

function resolveDynamic(chosen: Turn, view: ModelRequest): Turn {
  let current = chosen;
  for (let depth = 0; current.kind === 'dynamic' && depth < 10; depth += 1) {
    current = current.respond(view);
  }
  return current;
}

function endpointOf(method: string, path: string): Endpoint {
  const pathname = path.split('?')[0] ?? path;
  if (method === 'POST' && pathname === '/v1/messages') return 'messages';
  if (method === 'POST' && pathname === '/v1/messages/count_tokens') return 'count_tokens';
  if (method === 'GET' && pathname.startsWith('/v1/models')) return 'models';
  return 'other';
}

const modelList = {
  data: ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5'].map((id) => ({
    type: 'model',
    id,
    display_name: id,
    created_at: '2025-01-01T00:00:00Z',
  })),
  has_more: false,
  first_id: 'claude-sonnet-4-5',
  last_id: 'claude-haiku-4-5',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
