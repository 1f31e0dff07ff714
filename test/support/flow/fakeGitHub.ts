import nock from 'nock';
import { githubApi } from '../github.js';

/**
 * A small stateful GitHub for the flow's tests, answering over nock the REST
 * calls the supervisor and worker make: the repository, the bot user, the
 * config file, issues, comments, labels, sub-issues and pull requests. It
 * keeps what was written so tests can check the outcome (and count writes).
 * The full GitHub emulator (test/support/githubEmulator) replaces it in e2e.
 */

export interface FakeIssue {
  id: number;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  user: string;
  subIssues: number[];
  pull?: { head: string; base: string; headSha: string };
}

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  cloneUrl: string;
  botLogin: string;
  botId: number;
  /** The text of .github/factory.yml; absent → 404. */
  config?: string;
  /** Head sha of a pushed branch, for the PR payload. */
  headSha(branch: string): string;
}

export class FakeGitHub {
  readonly issues = new Map<number, FakeIssue>();
  readonly comments: FakeComment[] = [];
  /** Every write, as "METHOD path", in order. */
  readonly writes: string[] = [];
  /** The text of .github/factory.yml served now (tests may change it). */
  config: string | undefined;
  private nextNumber = 1;
  private nextId = 9_000_001;
  private readonly scope: nock.Scope;
  /** Every request that changed something (not GET), with its body as sent. */
  readonly sentWrites: Array<{ method: string; path: string; body: string }> = [];

  constructor(private readonly options: FakeGitHubOptions) {
    this.config = options.config;
    const base = `/repos/${options.owner}/${options.repo}`;
    const path = (rest: string) => new RegExp(`^${escape(base)}${rest}(\\?.*)?$`);
    this.scope = nock(githubApi).persist();
    this.scope.on('request', (request: { method?: string; path?: string }, _i, body: string) => {
      if (request.method !== 'GET')
        this.sentWrites.push({ method: request.method ?? '', path: request.path ?? '', body });
    });
    this.scope
      .get(new RegExp(`^${escape(base)}$`))
      .reply(200, () => ({
        id: 77,
        name: options.repo,
        full_name: `${options.owner}/${options.repo}`,
        clone_url: options.cloneUrl,
        default_branch: 'main',
      }))
      .get(`/users/${encodeURIComponent(options.botLogin)}`)
      .reply(200, () => ({ login: options.botLogin, id: options.botId, type: 'Bot' }))
      .get(/^\/repos\/[^/]+\/[^/]+\/contents\/.*factory\.yml/)
      .reply(() =>
        this.config
          ? [200, this.config, { 'content-type': 'text/plain; charset=utf-8' }]
          : [404, { message: 'Not Found' }],
      )
      .post(path('/issues'))
      .reply(201, (_uri, body) =>
        this.issueJson(this.createIssue(body as { title: string; body: string })),
      )
      .get(path('/issues'))
      .reply(200, (uri) => this.listIssues(new URL(uri, githubApi).searchParams))
      .get(path('/issues/(\\d+)/comments'))
      .reply(200, (uri) =>
        this.comments
          .filter((c) => c.issueNumber === issueNumberIn(uri))
          .map((c) => this.commentJson(c)),
      )
      .post(path('/issues/(\\d+)/comments'))
      .reply(201, (uri, body) =>
        this.commentJson(this.addComment(issueNumberIn(uri), (body as { body: string }).body)),
      )
      .patch(path('/issues/comments/(\\d+)'))
      .reply(200, (uri, body) =>
        this.commentJson(
          this.editComment(
            Number(/comments\/(\d+)/.exec(uri)?.[1]),
            (body as { body: string }).body,
          ),
        ),
      )
      .get(path('/issues/(\\d+)/labels'))
      .reply(200, (uri) => this.issue(issueNumberIn(uri)).labels.map((name) => ({ name })))
      .post(path('/issues/(\\d+)/labels'))
      .reply(200, (uri, body) => this.addLabels(uri, (body as { labels: string[] }).labels))
      .delete(path('/issues/(\\d+)/labels/.+'))
      .reply(200, (uri) => this.removeLabel(uri))
      .get(path('/issues/(\\d+)/sub_issues'))
      .reply(200, (uri) =>
        this.issue(issueNumberIn(uri)).subIssues.map((n) => this.issueJson(this.issue(n))),
      )
      .post(path('/issues/(\\d+)/sub_issues'))
      .reply(201, (uri, body) =>
        this.addSubIssue(issueNumberIn(uri), (body as { sub_issue_id: number }).sub_issue_id),
      )
      .get(path('/pulls'))
      .reply(200, (uri) => this.listPulls(new URL(uri, githubApi).searchParams))
      .post(path('/pulls'))
      .reply(201, (_uri, body) =>
        this.pullJson(
          this.createPull(body as { title: string; body: string; head: string; base: string }),
        ),
      )
      .patch(path('/pulls/(\\d+)'))
      .reply(200, (uri, body) =>
        this.pullJson(
          this.editPull(
            Number(/pulls\/(\d+)/.exec(uri)?.[1]),
            body as { title: string; body: string },
          ),
        ),
      );
  }

  /** Adds an issue as a person would (the epic). */
  createIssue(input: { title: string; body?: string }, user = this.options.botLogin): FakeIssue {
    if (user === this.options.botLogin) this.writes.push('POST issues');
    const issue: FakeIssue = {
      id: this.nextId++,
      number: this.nextNumber++,
      title: input.title,
      body: input.body ?? '',
      state: 'open',
      labels: [],
      user,
      subIssues: [],
    };
    this.issues.set(issue.number, issue);
    return issue;
  }

  issue(number: number): FakeIssue {
    const issue = this.issues.get(number);
    if (!issue) throw new Error(`no issue #${number}`);
    return issue;
  }

  pulls(): FakeIssue[] {
    return [...this.issues.values()].filter((issue) => issue.pull);
  }

  commentsOn(issueNumber: number): FakeComment[] {
    return this.comments.filter((comment) => comment.issueNumber === issueNumber);
  }

  close() {
    nock.removeInterceptor(this.scope as unknown as nock.Interceptor);
    nock.cleanAll();
  }

  private listIssues(query: URLSearchParams) {
    const creator = query.get('creator');
    return [...this.issues.values()]
      .filter((issue) => !creator || issue.user === creator)
      .map((issue) => this.issueJson(issue));
  }

  private addComment(issueNumber: number, body: string): FakeComment {
    this.writes.push(`POST comment #${issueNumber}`);
    const comment = { id: this.nextId++, issueNumber, body, user: this.options.botLogin };
    this.comments.push(comment);
    return comment;
  }

  private editComment(id: number, body: string): FakeComment {
    this.writes.push(`PATCH comment ${id}`);
    const comment = this.comments.find((c) => c.id === id);
    if (!comment) throw new Error(`no comment ${id}`);
    comment.body = body;
    return comment;
  }

  private addLabels(uri: string, labels: string[]) {
    const issue = this.issue(issueNumberIn(uri));
    for (const label of labels) if (!issue.labels.includes(label)) issue.labels.push(label);
    return issue.labels.map((name) => ({ name }));
  }

  private removeLabel(uri: string) {
    const issue = this.issue(issueNumberIn(uri));
    const name = decodeURIComponent(uri.split('/labels/')[1]?.split('?')[0] ?? '');
    issue.labels = issue.labels.filter((label) => label !== name);
    return issue.labels.map((label) => ({ name: label }));
  }

  private addSubIssue(parent: number, subIssueId: number) {
    this.writes.push(`POST sub_issue #${parent}`);
    const child = [...this.issues.values()].find((issue) => issue.id === subIssueId);
    if (!child) throw new Error(`no issue with id ${subIssueId}`);
    const epic = this.issue(parent);
    if (!epic.subIssues.includes(child.number)) epic.subIssues.push(child.number);
    return this.issueJson(child);
  }

  private listPulls(query: URLSearchParams) {
    const head = query.get('head')?.split(':')[1];
    const state = query.get('state') ?? 'open';
    return this.pulls()
      .filter(
        (pull) => (!head || pull.pull?.head === head) && (state === 'all' || pull.state === state),
      )
      .map((pull) => this.pullJson(pull));
  }

  private createPull(input: {
    title: string;
    body: string;
    head: string;
    base: string;
  }): FakeIssue {
    this.writes.push(`POST pull ${input.head}`);
    const pull = this.createIssue({ title: input.title, body: input.body }, this.options.botLogin);
    this.writes.pop();
    pull.pull = { head: input.head, base: input.base, headSha: this.options.headSha(input.head) };
    return pull;
  }

  private editPull(number: number, input: { title: string; body: string }): FakeIssue {
    this.writes.push(`PATCH pull #${number}`);
    const pull = this.issue(number);
    pull.title = input.title;
    pull.body = input.body;
    return pull;
  }

  private issueJson(issue: FakeIssue) {
    const url = `https://github.com/${this.options.owner}/${this.options.repo}/issues/${issue.number}`;
    return {
      id: issue.id,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      html_url: url,
      user: { login: issue.user },
      labels: issue.labels.map((name) => ({ name })),
      ...(issue.pull ? { pull_request: { url } } : {}),
    };
  }

  private commentJson(comment: FakeComment) {
    const url = `https://github.com/${this.options.owner}/${this.options.repo}/issues/${comment.issueNumber}#issuecomment-${comment.id}`;
    return { id: comment.id, body: comment.body, html_url: url, user: { login: comment.user } };
  }

  private pullJson(pull: FakeIssue) {
    const url = `https://github.com/${this.options.owner}/${this.options.repo}/pull/${pull.number}`;
    return {
      id: pull.id,
      number: pull.number,
      title: pull.title,
      body: pull.body,
      state: pull.state,
      html_url: url,
      head: { ref: pull.pull?.head, sha: pull.pull?.headSha },
      base: { ref: pull.pull?.base },
    };
  }
}

function issueNumberIn(uri: string): number {
  return Number(/\/issues\/(\d+)/.exec(uri)?.[1]);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
