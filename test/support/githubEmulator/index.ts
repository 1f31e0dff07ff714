import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateAppKeys, readAuthorization, TokenBook, verifyAppJwt } from './auth.js';
import { BareRepo } from './bareRepo.js';
import { SimulatedCi, type SimulatedCiOptions } from './ci.js';
import { serveGit } from './gitHttp.js';
import { HttpError, Router, type ApiRequest } from './http.js';
import { Payloads } from './payloads.js';
import { grant, Person } from './person.js';
import { announcePush } from './pullActions.js';
import type { Permission, RepoRecord, UserRecord } from './records.js';
import { issuePage } from './webPages.js';
import { registerAppRoutes, isAppJwtPath } from './routes/app.js';
import { registerCheckRoutes } from './routes/checks.js';
import { registerIssueRoutes } from './routes/issues.js';
import { registerPullRoutes } from './routes/pulls.js';
import { registerRepoRoutes } from './routes/repos.js';
import { EmulatorState } from './state.js';
import { WebhookSender } from './webhooks.js';

export { signPayload, type Delivery } from './webhooks.js';
export type { Person } from './person.js';
export type { SimulatedCi } from './ci.js';

export interface GitHubEmulatorOptions {
  appId?: number;
  appSlug?: string;
  /** Where webhooks go; can be set later with `setWebhookUrl` (the app may start after us). */
  webhookUrl?: string;
  installationTokenTtlMs?: number;
  port?: number;
  /** Where the bare repositories live; a temporary folder (removed on close) by default. */
  dataDir?: string;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  actor: string;
}

/**
 * A local GitHub for tests and the demo: GitHub's REST paths, a real git
 * remote per repository, signed webhooks for every change. Point Probot's
 * `baseUrl` (the app's GITHUB_API_URL) at `url`.
 */
export class GitHubEmulator {
  readonly requests: RequestLogEntry[] = [];
  /** Requests no route answered: a gap in the emulator, or a call GitHub would refuse too. */
  readonly unhandled: string[] = [];
  private readonly router = new Router();
  private ci: SimulatedCi | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly state: EmulatorState,
    readonly tokens: TokenBook,
    private readonly ownsDataDir: boolean,
  ) {
    registerAppRoutes(this.router, state, tokens);
    registerRepoRoutes(this.router, state);
    registerIssueRoutes(this.router, state);
    registerPullRoutes(this.router, state);
    registerCheckRoutes(this.router, state);
  }

  static async start(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
    const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'github-emulator-')));
    await mkdir(dataDir, { recursive: true });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keys = generateAppKeys();
    const appId = options.appId ?? 424242;
    const slug = options.appSlug ?? 'factory-emulated';
    const installationId = 7_000_001;
    const bot: UserRecord = {
      id: 41_000_001,
      login: `${slug}[bot]`,
      type: 'Bot',
      name: `${slug}[bot]`,
      email: `41000001+${slug}[bot]@users.noreply.emulator`,
    };
    const owner: UserRecord = {
      id: 41_000_002,
      login: 'acme',
      type: 'User',
      name: 'Acme Maintainer',
      email: 'maintainer@acme.example',
    };
    const webhookSecret = randomBytes(16).toString('hex');
    const webhooks = new WebhookSender({
      secret: webhookSecret,
      appId,
      installationId,
      url: options.webhookUrl,
    });
    const app = {
      id: appId,
      slug,
      name: 'Factory (emulated)',
      bot,
      owner,
      privateKey: keys.privateKey,
      publicKey: keys.publicKey,
      webhookSecret,
      installationId,
    };
    const state = new EmulatorState(app, new Payloads(url), webhooks, path.join(dataDir, 'repos'));
    const tokens = new TokenBook(options.installationTokenTtlMs ?? 60 * 60 * 1000);
    const emulator = new GitHubEmulator(server, url, state, tokens, options.dataDir === undefined);
    server.on('request', (request, response) => void emulator.handle(request, response));
    return emulator;
  }

  get app() {
    const { id, slug, privateKey, webhookSecret, installationId, bot, owner } = this.state.app;
    return {
      id,
      slug,
      privateKey,
      webhookSecret,
      installationId,
      botLogin: bot.login,
      owner: owner.login,
    };
  }

  get webhooks() {
    return this.state.webhooks;
  }

  setWebhookUrl(url: string | undefined) {
    this.state.webhooks.url = url;
  }

  /** A repository whose first commit holds `source`'s files; the owner is the App's installation account. */
  async addRepo(name: string, source: string, defaultBranch = 'main'): Promise<RepoRecord> {
    const owner = this.state.app.owner;
    const gitDir = this.state.gitDirFor(owner.login, name);
    await BareRepo.create(gitDir, defaultBranch, source, { name: owner.name, email: owner.email });
    const repo: RepoRecord = {
      id: this.state.newId(),
      owner,
      name,
      defaultBranch,
      gitDir,
      labels: new Map(),
      issues: new Map(),
      comments: new Map(),
      collaborators: new Map(),
      checkRuns: [],
      statuses: [],
      protectedBranches: new Map(),
      nextNumber: 1,
    };
    this.state.repos.set(`${owner.login}/${name}`.toLowerCase(), repo);
    return repo;
  }

  /**
   * Branch protection as a repository's settings would have it: a merge into
   * `branch` is refused until each named check run (or status context) on the
   * PR's head has passed, as GitHub's required status checks do.
   */
  protectBranch(repo: RepoRecord, branch: string, rules: { requiredChecks: string[] }) {
    repo.protectedBranches.set(branch, { requiredChecks: [...rules.requiredChecks] });
  }

  cloneUrl(repo: RepoRecord) {
    return `${this.url}/${repo.owner.login}/${repo.name}.git`;
  }

  /** A person acting on `repo`; the repository's owner when no login is given. */
  person(repo: RepoRecord, login = repo.owner.login, permission: Permission = 'write'): Person {
    const user = this.state.user(login);
    if (user.login !== repo.owner.login) grant(repo, user, permission);
    return new Person(this.state, user, repo, this.tokens.personalToken(user));
  }

  /** A fresh installation token, as the App would get one (tests that talk to the emulator directly). */
  installationToken(ttlMs?: number): string {
    return this.tokens.issueInstallationToken(this.state.app.installationId, ttlMs).token;
  }

  /** Runs `command` on every new PR head and reports a check run with the outcome. */
  startCi(options: SimulatedCiOptions): SimulatedCi {
    this.ci ??= new SimulatedCi(this.state, options);
    return this.ci;
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.webhooks.settled();
    await this.ci?.idle();
    if (this.ownsDataDir)
      await rm(path.dirname(this.state.reposRoot), { recursive: true, force: true });
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', this.url);
    const pathname = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
    try {
      const git = /^\/([^/]+)\/([^/]+)\.git(\/.*)$/.exec(pathname);
      if (git)
        return await this.handleGit(
          request,
          response,
          git[1] ?? '',
          git[2] ?? '',
          git[3] ?? '',
          url,
        );
      const page = /^\/([^/]+)\/([^/]+)\/(?:issues|pull)\/(\d+)$/.exec(pathname);
      if (page && request.method === 'GET') return this.handlePage(response, page);
      await this.handleApi(request, response, pathname, url.searchParams);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      this.requests.push({ method: request.method ?? '', path: pathname, status, actor: '?' });
      if (!response.headersSent) {
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        response.end(
          JSON.stringify({
            message,
            ...(error instanceof HttpError && error.errors ? { errors: error.errors } : {}),
            documentation_url: 'https://docs.github.com/rest',
            status: String(status),
          }),
        );
      } else response.end();
    }
  }

  /** An issue's or PR's web page (webPages.ts), as the links in payloads and the status page point to. */
  private handlePage(response: ServerResponse, match: RegExpExecArray) {
    const repo = this.state.repo(match[1] ?? '', match[2] ?? '');
    const issue = this.state.issue(repo, match[3] ?? '');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(issuePage(repo, issue));
  }

  private async handleApi(
    request: IncomingMessage,
    response: ServerResponse,
    pathname: string,
    query: URLSearchParams,
  ) {
    const method = request.method ?? 'GET';
    const auth = this.authenticate(request, method, pathname);
    const route = this.router.match(method, pathname);
    if (!route) {
      this.unhandled.push(`${method} ${pathname}`);
      throw new HttpError(404, 'Not Found');
    }
    const raw = await readBody(request);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      throw new HttpError(400, 'Problems parsing JSON');
    }
    const apiRequest: ApiRequest = {
      method,
      params: route.params,
      query,
      body,
      headers: request.headers,
      ...auth,
    };
    const result = await route.handler(apiRequest);
    const status = result.status ?? 200;
    this.requests.push({ method, path: pathname, status, actor: auth.actor.login });
    const headers = {
      'x-github-request-id': randomUUID(),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      ...result.headers,
    };
    if (result.text) {
      response.writeHead(status, { ...headers, 'content-type': result.text.contentType });
      response.end(result.text.content);
    } else if (status === 204 || result.body === undefined) {
      response.writeHead(status, headers);
      response.end();
    } else {
      response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(result.body));
    }
  }

  /** Who is calling: the App (JWT) on App paths, an installation or a person (token) elsewhere. */
  private authenticate(request: IncomingMessage, method: string, pathname: string) {
    const auth = readAuthorization(request.headers.authorization);
    if (!auth) throw new HttpError(401, 'Requires authentication');
    const looksLikeJwt = auth.credential.split('.').length === 3;
    if (isAppJwtPath(method, pathname)) {
      if (!looksLikeJwt || auth.scheme !== 'bearer')
        throw new HttpError(401, 'A JSON web token could not be decoded');
      verifyAppJwt(auth.credential, this.state.app.publicKey, this.state.app.id);
      return { actor: this.state.app.bot, installationId: null };
    }
    if (looksLikeJwt)
      throw new HttpError(
        403,
        'A JSON web token cannot be used here; use an installation access token',
      );
    const owner = this.tokens.resolve(auth.credential);
    return owner.kind === 'installation'
      ? { actor: this.state.app.bot, installationId: owner.installationId }
      : { actor: owner.user, installationId: null };
  }

  /** Smart HTTP: the token is the Basic password (`x-access-token:<token>`); a push needs write access. */
  private async handleGit(
    request: IncomingMessage,
    response: ServerResponse,
    owner: string,
    name: string,
    rest: string,
    url: URL,
  ) {
    const repo = this.state.repo(owner, name);
    const basic = readAuthorization(request.headers.authorization);
    const password =
      basic?.scheme === 'basic'
        ? Buffer.from(basic.credential, 'base64').toString().split(':').slice(1).join(':')
        : '';
    let actor: UserRecord;
    try {
      const tokenOwner = this.tokens.resolve(password);
      actor = tokenOwner.kind === 'installation' ? this.state.app.bot : tokenOwner.user;
    } catch {
      response.writeHead(401, {
        'www-authenticate': 'Basic realm="GitHub"',
        'content-type': 'text/plain',
      });
      response.end(
        'Invalid username or token. Password authentication is not supported for Git operations.\n',
      );
      return;
    }
    const pushing =
      rest.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack';
    if (
      pushing &&
      actor.type !== 'Bot' &&
      !['admin', 'maintain', 'write'].includes(this.state.permission(repo, actor))
    ) {
      response.writeHead(403, { 'content-type': 'text/plain' });
      response.end(`Permission to ${owner}/${name}.git denied to ${actor.login}.\n`);
      return;
    }
    const git = this.state.git(repo);
    const before = pushing && request.method === 'POST' ? await git.branches() : undefined;
    const announce = async () => {
      if (!before) return;
      const after = await git.branches();
      const changes = [...new Set([...before.keys(), ...after.keys()])]
        .filter((branch) => before.get(branch) !== after.get(branch))
        .map((branch) => ({
          branch,
          before: before.get(branch) ?? null,
          after: after.get(branch) ?? null,
        }));
      if (changes.length > 0) await announcePush(this.state, repo, actor, changes);
    };
    await serveGit(request, response, {
      projectRoot: this.state.reposRoot,
      pathInfo: `/${repo.owner.login}/${repo.name}.git${rest}`,
      query: url.search.replace(/^\?/, ''),
      remoteUser: actor.login,
      beforeEnd: announce,
    });
    this.requests.push({
      method: request.method ?? '',
      path: `/${owner}/${name}.git${rest}`,
      status: response.statusCode,
      actor: actor.login,
    });
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export const startGitHubEmulator = (options?: GitHubEmulatorOptions) =>
  GitHubEmulator.start(options);
