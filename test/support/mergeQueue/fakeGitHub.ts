import { execFileSync } from 'node:child_process';
import nock from 'nock';

/**
 * A small stateful GitHub behind nock for the merge queue's tests: pull
 * requests whose heads are real branches of a local bare repository, reviews,
 * check runs computed by a test-supplied CI, issues, comments and labels.
 * Merging writes a real commit onto the base branch of the bare repository,
 * and refuses (like branch protection would) a head whose merge would land
 * another tree than the head's own, so "main only receives what was checked
 * on top of main" is asserted by git.
 */

export const api = 'https://api.github.com';

export interface FakeReview {
  id: number;
  user: { login: string; type: string };
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  commit_id: string;
  body: string;
  author_association: string;
  comments: { path: string; line: number; body: string }[];
}

export interface FakePull {
  number: number;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  draft?: boolean;
}

export interface FakeCheck {
  name: string;
  conclusion: 'success' | 'failure';
  output?: string;
}

export interface FakeIssue {
  state: 'open' | 'closed';
  labels: string[];
  comments: { id: number; body: string; login: string }[];
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  bare: string;
  botLogin: string;
  /** The CI: which checks a commit gets (called once per commit, when checks are first read). */
  ci: (sha: string, bare: string) => FakeCheck[];
  /** Refuse APPROVE / REQUEST_CHANGES by the bot on its own PR, as GitHub does. */
  refuseOwnPullVerdicts?: boolean;
  /** Whether the CI run on `sha` has finished; until then its checks are in progress. Default: at once. */
  ciFinished?: (sha: string) => boolean;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

export class FakeGitHub {
  readonly pulls = new Map<number, FakePull>();
  readonly reviews = new Map<number, FakeReview[]>();
  readonly issues = new Map<number, FakeIssue>();
  /** Sub-issues of an issue, by number (what reconciliation reads of an epic). */
  readonly subIssues = new Map<number, number[]>();
  readonly checks = new Map<string, FakeCheck[]>();
  /** Every merge the fake performed: PR number, head sha merged, its checks, when (`seq`). */
  readonly merges: { pr: number; headSha: string; checks: FakeCheck[]; seq: number }[] = [];
  /** The supervisor's `Factory review` check runs the app set (review/reviewCheck.ts). */
  readonly reviewChecks: {
    id: number;
    head_sha: string;
    name: string;
    status: string;
    conclusion: string;
    output: unknown;
  }[] = [];
  /** Every CI run, in the order they started (`seq` is shared with `merges`). */
  readonly ciStarts: { sha: string; seq: number }[] = [];
  ciRuns = 0;
  private seq = 0;
  private ids = 1000;

  constructor(private readonly options: FakeGitHubOptions) {}

  headSha(pr: FakePull): string {
    return git(this.options.bare, 'rev-parse', `refs/heads/${pr.head}`);
  }

  openPull(number: number, head: string, base = 'main'): FakePull {
    const pull: FakePull = {
      number,
      head,
      base,
      state: 'open',
      merged: false,
      mergedBy: null,
      mergeCommitSha: null,
    };
    this.pulls.set(number, pull);
    this.issues.set(number, { state: 'open', labels: [], comments: [] });
    return pull;
  }

  addIssue(number: number) {
    this.issues.set(number, { state: 'open', labels: [], comments: [] });
  }

  /** A person (with write access unless told) submits a review. */
  personReview(
    pr: number,
    login: string,
    state: FakeReview['state'],
    body = '',
    association = 'MEMBER',
  ) {
    const pull = this.pull(pr);
    const review: FakeReview = {
      id: this.ids++,
      user: { login, type: 'User' },
      state,
      commit_id: this.headSha(pull),
      body,
      author_association: association,
      comments: [],
    };
    this.reviews.set(pr, [...(this.reviews.get(pr) ?? []), review]);
    return review;
  }

  /** A person merges the PR by hand (squash), as with GitHub's button. */
  mergeByPerson(pr: number, login: string) {
    const pull = this.pull(pr);
    this.writeMerge(pull, 'squash', login);
  }

  closeByPerson(pr: number) {
    this.pull(pr).state = 'closed';
  }

  reopenByPerson(pr: number) {
    const pull = this.pull(pr);
    if (pull.merged) throw new Error(`PR #${pr} is merged and cannot be reopened`);
    pull.state = 'open';
  }

  pull(number: number): FakePull {
    const pull = this.pulls.get(number);
    if (!pull) throw new Error(`No PR #${number}`);
    return pull;
  }

  private checksFor(sha: string): FakeCheck[] {
    let known = this.checks.get(sha);
    if (!known) {
      this.ciRuns += 1;
      this.ciStarts.push({ sha, seq: ++this.seq });
      known = this.options.ci(sha, this.options.bare);
      this.checks.set(sha, known);
    }
    return known;
  }

  private writeMerge(pull: FakePull, method: string, login: string) {
    const { bare } = this.options;
    const head = this.headSha(pull);
    const base = git(bare, 'rev-parse', `refs/heads/${pull.base}`);
    const tree = git(bare, 'rev-parse', `${head}^{tree}`);
    const parents = method === 'merge' ? ['-p', base, '-p', head] : ['-p', base];
    const commit = execFileSync(
      'git',
      ['commit-tree', tree, ...parents, '-m', `Merge PR #${pull.number}`],
      {
        cwd: bare,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: login,
          GIT_AUTHOR_EMAIL: 'x@example.com',
          GIT_COMMITTER_NAME: 'GitHub',
          GIT_COMMITTER_EMAIL: 'noreply@github.com',
        },
      },
    ).trim();
    git(bare, 'update-ref', `refs/heads/${pull.base}`, commit, base);
    pull.state = 'closed';
    pull.merged = true;
    pull.mergedBy = login;
    pull.mergeCommitSha = commit;
    this.merges.push({
      pr: pull.number,
      headSha: head,
      checks: this.checksFor(head),
      seq: ++this.seq,
    });
    return commit;
  }

  private pullJson(pull: FakePull) {
    return {
      number: pull.number,
      state: pull.state,
      merged: pull.merged,
      merged_by: pull.mergedBy ? { login: pull.mergedBy } : null,
      merge_commit_sha: pull.mergeCommitSha,
      draft: pull.draft ?? false,
      mergeable: pull.state === 'open' ? true : null,
      head: {
        ref: pull.head,
        sha: pull.merged
          ? (this.merges.find((m) => m.pr === pull.number)?.headSha ?? '')
          : this.headSha(pull),
      },
      base: { ref: pull.base },
      user: { login: this.options.botLogin },
    };
  }

  /** Installs the nock interceptors; returns a function that removes them. */
  install(): () => void {
    const { owner, repo } = this.options;
    const prefix = `/repos/${owner}/${repo}`;
    const scope = nock(api).persist();
    const route = (method: string, path: string, body: unknown): [number, unknown] => {
      const url = new URL(path, api);
      const p = url.pathname;
      if (!p.startsWith(prefix)) return [404, { message: 'Not Found' }];
      return this.handle(
        method,
        p.slice(prefix.length),
        url.searchParams,
        body as Record<string, unknown>,
      );
    };
    scope
      .get(/.*/)
      .reply((path) => route('GET', path, undefined))
      .post(/.*/)
      .reply((path, body) => route('POST', path, body))
      .put(/.*/)
      .reply((path, body) => route('PUT', path, body))
      .patch(/.*/)
      .reply((path, body) => route('PATCH', path, body))
      .delete(/.*/)
      .reply((path) => route('DELETE', path, undefined));
    return () => nock.cleanAll();
  }

  private handle(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): [number, unknown] {
    const m = (pattern: RegExp) => pattern.exec(path);
    let match: RegExpExecArray | null;
    if (method === 'GET' && path.startsWith('/contents/')) return [404, { message: 'Not Found' }];
    if ((match = m(/^\/pulls\/(\d+)$/)) && method === 'GET')
      return [200, this.pullJson(this.pull(Number(match[1])))];
    if ((match = m(/^\/pulls\/(\d+)\/reviews$/))) {
      const pr = Number(match[1]);
      if (method === 'GET')
        return [200, (this.reviews.get(pr) ?? []).map(({ comments: _c, ...r }) => r)];
      return this.createReview(pr, body);
    }
    if ((match = m(/^\/pulls\/(\d+)\/reviews\/(\d+)\/comments$/))) {
      const reviewId = Number(match[2]);
      const review = (this.reviews.get(Number(match[1])) ?? []).find((r) => r.id === reviewId);
      return [200, (review?.comments ?? []).map((c, i) => ({ id: i + 1, ...c }))];
    }
    if ((match = m(/^\/pulls\/(\d+)\/merge$/)) && method === 'PUT')
      return this.merge(Number(match[1]), body);
    if (m(/^\/check-runs$/) && method === 'POST') {
      const run = {
        id: 1000 + this.reviewChecks.length,
        head_sha: String(body.head_sha),
        name: String(body.name),
        status: String(body.status),
        conclusion: String(body.conclusion),
        output: body.output,
      };
      this.reviewChecks.push(run);
      return [201, run];
    }
    if ((match = m(/^\/check-runs\/(\d+)$/)) && method === 'PATCH') {
      const run = this.reviewChecks.find((r) => r.id === Number(match?.[1]));
      if (!run) return [404, { message: 'Not Found' }];
      Object.assign(run, { conclusion: String(body.conclusion), output: body.output });
      return [200, run];
    }
    if ((match = m(/^\/commits\/([0-9a-f]{40})\/check-runs$/)) && query.get('check_name')) {
      const runs = this.reviewChecks.filter(
        (r) => r.head_sha === match?.[1] && r.name === query.get('check_name'),
      );
      return [200, { total_count: runs.length, check_runs: runs }];
    }
    if ((match = m(/^\/commits\/([0-9a-f]{40})\/check-runs$/))) {
      const sha = match[1] ?? '';
      const checks = this.checksFor(sha);
      const finished = this.options.ciFinished?.(sha) ?? true;
      const runs = checks.map((c, i) => ({
        id: i + 1,
        name: c.name,
        status: finished ? 'completed' : 'in_progress',
        conclusion: finished ? c.conclusion : null,
        details_url: null,
        html_url: null,
        output: { title: c.name, summary: c.output ?? '', text: null },
      }));
      return [200, { total_count: runs.length, check_runs: runs }];
    }
    if ((match = m(/^\/commits\/([0-9a-f]{40})\/status$/)))
      return [200, { state: 'success', statuses: [], total_count: 0 }];
    if ((match = m(/^\/commits\/([0-9a-f]{40})$/))) {
      return [200, { sha: match[1], commit: { committer: { date: new Date(0).toISOString() } } }];
    }
    if ((match = m(/^\/issues\/(\d+)\/comments$/))) {
      const issue = this.issue(Number(match[1]));
      if (method === 'GET')
        return [
          200,
          issue.comments.map((c) => ({
            id: c.id,
            body: c.body,
            user: { login: c.login },
            html_url: 'x',
          })),
        ];
      const comment = { id: this.ids++, body: String(body.body), login: this.options.botLogin };
      issue.comments.push(comment);
      return [
        201,
        { id: comment.id, body: comment.body, html_url: 'x', user: { login: comment.login } },
      ];
    }
    if ((match = m(/^\/issues\/(\d+)\/labels$/))) {
      const issue = this.issue(Number(match[1]));
      if (method === 'POST') issue.labels.push(...((body.labels as string[]) ?? []));
      return [200, issue.labels.map((name) => ({ name }))];
    }
    if ((match = m(/^\/issues\/(\d+)\/labels\/(.+)$/)) && method === 'DELETE') {
      const issue = this.issue(Number(match[1]));
      const name = decodeURIComponent(match[2] ?? '');
      issue.labels = issue.labels.filter((l) => l !== name);
      return [200, []];
    }
    if ((match = m(/^\/issues\/(\d+)\/sub_issues$/)) && method === 'GET') {
      const children = this.subIssues.get(Number(match[1])) ?? [];
      return [
        200,
        children.map((number) => ({
          id: 2000 + number,
          number,
          title: `Task ${number}`,
          body: '',
        })),
      ];
    }
    if ((match = m(/^\/issues\/(\d+)$/))) {
      const issue = this.issue(Number(match[1]));
      if (method === 'PATCH' && body.state) issue.state = body.state as FakeIssue['state'];
      return [
        200,
        {
          number: Number(match[1]),
          state: issue.state,
          labels: issue.labels.map((name) => ({ name })),
        },
      ];
    }
    return [
      404,
      { message: `fake GitHub has no ${method} ${path}${query.size ? `?${query}` : ''}` },
    ];
  }

  private issue(number: number): FakeIssue {
    const issue = this.issues.get(number);
    if (!issue) throw new Error(`No issue #${number}`);
    return issue;
  }

  private createReview(pr: number, body: Record<string, unknown>): [number, unknown] {
    const event = String(body.event);
    if (this.options.refuseOwnPullVerdicts && event !== 'COMMENT') {
      return [
        422,
        {
          message: `Unprocessable Entity: "Can not ${event === 'APPROVE' ? 'approve' : 'request changes on'} your own pull request"`,
        },
      ];
    }
    const state =
      event === 'APPROVE'
        ? 'APPROVED'
        : event === 'REQUEST_CHANGES'
          ? 'CHANGES_REQUESTED'
          : 'COMMENTED';
    const review: FakeReview = {
      id: this.ids++,
      user: { login: this.options.botLogin, type: 'Bot' },
      state,
      commit_id: String(body.commit_id),
      body: String(body.body ?? ''),
      author_association: 'NONE',
      comments: (body.comments as FakeReview['comments'] | undefined) ?? [],
    };
    this.reviews.set(pr, [...(this.reviews.get(pr) ?? []), review]);
    const { comments: _c, ...json } = review;
    return [200, json];
  }

  private merge(pr: number, body: Record<string, unknown>): [number, unknown] {
    const pull = this.pull(pr);
    if (pull.state !== 'open') return [405, { message: 'Pull Request is not mergeable' }];
    const head = this.headSha(pull);
    if (body.sha !== head)
      return [409, { message: 'Head branch was modified. Review and try the merge again.' }];
    // What branch protection guarantees, by content: the merge lands exactly the tree the
    // checks ran on. A head behind in history whose tree already holds the base (built on a
    // PR that was squashed in since) merges to its own tree; any other behind head is refused.
    const base = git(this.options.bare, 'rev-parse', `refs/heads/${pull.base}`);
    let merged = '';
    try {
      merged =
        git(this.options.bare, 'merge-tree', '--write-tree', base, head).split('\n')[0] ?? '';
    } catch {
      return [405, { message: 'Pull Request has merge conflicts' }];
    }
    if (merged !== git(this.options.bare, 'rev-parse', `${head}^{tree}`)) {
      return [
        405,
        { message: 'Head branch is out of date with the base (required to be up to date)' },
      ];
    }
    if (!(this.options.ciFinished?.(head) ?? true)) {
      return [405, { message: 'Required status checks have not finished' }];
    }
    const sha = this.writeMerge(pull, String(body.merge_method ?? 'merge'), this.options.botLogin);
    return [200, { sha, merged: true, message: 'Pull Request successfully merged' }];
  }
}
