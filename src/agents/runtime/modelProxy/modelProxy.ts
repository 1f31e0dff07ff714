import { rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../../logger.js';
import { decideBudget, type BudgetCut, type RunBudgets, type Spend } from './budgetDecision.js';
import { forward, type Upstream } from './forward.js';
import { costUsd } from './pricing.js';
import { refuse } from './refusal.js';
import { secrets } from '../../../secrets/registry.js';
import { mintRunToken, presentedToken, sameToken } from './runToken.js';
import type { ServedUsage } from './servedUsage.js';

/**
 * The Messages API as the app serves it to agents. Each run gets a token of
 * its own, minted when the run opens and dead when it closes; the engine holds
 * that token, never the model key, which the proxy puts on upstream. Every
 * request is counted (tokens from the answer, cost from pricing.ts) and
 * recorded against the run, its task and its epic before the answer ends;
 * before a request goes upstream, the run's, task's and epic's spend is
 * checked against their budgets (budgetDecision.ts) and, once one is reached,
 * the request and every later one of the run are refused and the run is told.
 */

export interface RunOwner {
  runId: number;
  agentId: number;
  taskId?: number;
  epicId?: number;
  installationId?: number;
}

export interface ServedEntry extends ServedUsage {
  costUsd: number;
}

export interface ModelProxyConfig {
  upstream: Upstream;
  log: Logger;
  /** Stores one served request (a model_usage row); awaited before the answer ends. */
  record(owner: RunOwner, served: ServedEntry): Promise<void>;
  /** What a task or an epic has spent so far, as recorded. */
  spendOf(scope: 'task' | 'epic', id: number): Promise<Spend>;
}

/** What a jail needs to give its engine the model: the run's token and a place to serve it. */
export interface ModelAccess {
  readonly token: string;
  /** Serves the run on a Unix socket (bound into the jail). */
  serve(socketPath: string): Promise<Listener>;
  /** Serves the run on a loopback port (an unjailed engine, AGENT_SANDBOX=off). */
  serveLoopback(): Promise<Listener & { url: string }>;
}

export interface Listener {
  close(): Promise<void>;
}

export interface ProxyRun extends ModelAccess {
  readonly owner: RunOwner;
  /** Every request served so far, in order. */
  served(): readonly ServedEntry[];
  /** Served requests whose record failed even after the retries: the runner writes them at the end. */
  unrecorded(): readonly ServedEntry[];
  /** Set once a budget refused a request of the run. */
  readonly cut: BudgetCut | undefined;
  /** Called once, when a budget first refuses a request of the run. */
  onCut(listener: (cut: BudgetCut) => void): void;
  /** The token dies; open listeners close; waits for records still being written. */
  close(): Promise<void>;
}

export interface ModelProxy {
  openRun(owner: RunOwner, budgets: RunBudgets): ProxyRun;
}

/** Paths the engine needs; anything else is not the model's business. */
const countedPath = /^\/v1\/messages(\?|$)/;
const allowedPath = /^\/v1\/messages(\/count_tokens)?(\?|$)/;

export function createModelProxy(config: ModelProxyConfig): ModelProxy {
  return {
    openRun(owner, budgets) {
      return new Run(config, owner, budgets);
    },
  };
}

class Run implements ProxyRun {
  readonly token = mintRunToken();
  cut: BudgetCut | undefined;
  private open = true;
  private readonly entries: ServedEntry[] = [];
  private readonly failed: ServedEntry[] = [];
  private readonly writes = new Set<Promise<void>>();
  private readonly listeners = new Set<Listener>();
  private cutListeners: Array<(cut: BudgetCut) => void> = [];
  private readonly log: Logger;

  constructor(
    private readonly config: ModelProxyConfig,
    readonly owner: RunOwner,
    private readonly budgets: RunBudgets,
  ) {
    this.log = config.log.child({ runId: owner.runId, part: 'model-proxy' });
    // The jail's env holds it: an agent printing `env` into a comment or a log shows [redacted].
    secrets.add(this.token);
  }

  served = () => this.entries;
  unrecorded = () => this.failed;

  onCut(listener: (cut: BudgetCut) => void): void {
    if (this.cut) listener(this.cut);
    else this.cutListeners.push(listener);
  }

  async serve(socketPath: string): Promise<Listener> {
    const server = this.server();
    await listen(server, (done) => server.listen(socketPath, done));
    return this.track(server, () => rmSync(socketPath, { force: true }));
  }

  async serveLoopback(): Promise<Listener & { url: string }> {
    const server = this.server();
    await listen(server, (done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    return { ...this.track(server), url: `http://127.0.0.1:${port}` };
  }

  async close(): Promise<void> {
    this.open = false;
    await Promise.all([...this.listeners].map((listener) => listener.close()));
    await Promise.all([...this.writes]);
    // Dead now, so it can no longer matter; forgetting it keeps the registry small.
    secrets.remove(this.token);
  }

  private server(): http.Server {
    return http.createServer((request, response) => {
      void this.handle(request, response).catch((error: unknown) => {
        this.log.error({ err: String(error) }, 'model proxy failed a request');
        refuse(response, 502, 'api_error', 'Factory model proxy failed; see the app log.');
      });
    });
  }

  private track(server: http.Server, after?: () => void): Listener {
    const listener: Listener = {
      close: () =>
        new Promise<void>((resolve) => {
          this.listeners.delete(listener);
          server.closeAllConnections();
          server.close(() => {
            after?.();
            resolve();
          });
        }),
    };
    this.listeners.add(listener);
    return listener;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Checked first and alone: a dead or made-up token learns nothing else.
    if (!this.open || !sameToken(presentedToken(request.headers), this.token)) {
      this.log.warn(
        { path: request.url },
        'model proxy refused a request without a live run token',
      );
      return refuse(response, 401, 'authentication_error', 'Not a live Factory run token.');
    }
    const url = request.url ?? '/';
    if (!allowedPath.test(url))
      return refuse(response, 404, 'not_found_error', `Not served: ${url}`);
    if (!countedPath.test(url))
      return forward(this.config.upstream, request, response, async () => {});
    const cut = this.cut ?? (await this.budgetReached());
    if (cut) return this.refuseForBudget(cut, response);
    forward(this.config.upstream, request, response, (usage) => this.count(usage));
  }

  private async budgetReached(): Promise<BudgetCut | undefined> {
    const { taskId, epicId } = this.owner;
    const [task, epic] = await Promise.all([
      this.budgets.task && taskId !== undefined ? this.config.spendOf('task', taskId) : undefined,
      this.budgets.epic && epicId !== undefined ? this.config.spendOf('epic', epicId) : undefined,
    ]);
    const decision = decideBudget({ run: this.runSpend(), task, epic }, this.budgets);
    return decision.forward ? undefined : decision.cut;
  }

  private runSpend(): Spend {
    return this.entries.reduce<Spend>(
      (sum, entry) => ({
        costUsd: sum.costUsd + entry.costUsd,
        tokens: sum.tokens + tokensOf(entry),
      }),
      { costUsd: 0, tokens: 0 },
    );
  }

  private refuseForBudget(cut: BudgetCut, response: ServerResponse): void {
    const first = this.cut === undefined;
    this.cut = cut;
    if (first) {
      this.log.warn({ cut }, 'model proxy cut the run: budget reached');
      const listeners = this.cutListeners;
      this.cutListeners = [];
      for (const listener of listeners) listener(cut);
    }
    refuse(response, 400, 'invalid_request_error', cut.message);
  }

  private count(usage: ServedUsage | undefined): Promise<void> {
    if (!usage) return Promise.resolve();
    const entry: ServedEntry = { ...usage, costUsd: costUsd(usage) };
    this.entries.push(entry);
    const write = this.config.record(this.owner, entry).catch((error: unknown) => {
      this.log.error(
        { err: String(error) },
        'could not record a served request; the run records it at its end',
      );
      this.failed.push(entry);
    });
    this.writes.add(write);
    return write.finally(() => this.writes.delete(write));
  }
}

export function tokensOf(usage: ServedUsage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheCreationTokens;
}

function listen(server: http.Server, start: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    start(() => {
      server.off('error', reject);
      resolve();
    });
  });
}
