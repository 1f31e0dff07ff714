import { checkRunPayload } from './checkActions.js';
import {
  addLabels,
  addSubIssue,
  closeIssue,
  comment,
  createComment,
  createIssue,
  removeLabel,
  removeSubIssue,
  reopenIssue,
  updateComment,
} from './issueActions.js';
import { announcePush, createReview, mergePull } from './pullActions.js';
import type { IssueRecord, Permission, RepoRecord, UserRecord } from './records.js';
import type { EmulatorState } from './state.js';

/**
 * A person using GitHub in a test: what they do in the web UI, with the same
 * webhooks GitHub would send. `token` also works for Octokit and `git push`.
 */
export class Person {
  constructor(
    private readonly state: EmulatorState,
    readonly user: UserRecord,
    readonly repo: RepoRecord,
    readonly token: string,
  ) {}

  get login() {
    return this.user.login;
  }

  openIssue(input: { title: string; body?: string; labels?: string[] }): IssueRecord {
    return createIssue(this.state, this.repo, this.user, input);
  }

  addLabel(number: number, name: string) {
    addLabels(this.state, this.repo, this.state.issue(this.repo, number), this.user, [name]);
  }

  removeLabel(number: number, name: string) {
    removeLabel(this.state, this.repo, this.state.issue(this.repo, number), this.user, name);
  }

  comment(number: number, body: string) {
    return createComment(
      this.state,
      this.repo,
      this.state.issue(this.repo, number),
      this.user,
      body,
    );
  }

  editComment(id: number, body: string) {
    return updateComment(this.state, this.repo, comment(this.repo, id), this.user, body);
  }

  close(number: number) {
    closeIssue(this.state, this.repo, this.state.issue(this.repo, number), this.user);
  }

  /** Reopens an issue or a pull request closed without merging. */
  reopen(number: number) {
    reopenIssue(this.state, this.repo, this.state.issue(this.repo, number), this.user);
  }

  removeSubIssue(parentNumber: number, childNumber: number) {
    const child = this.state.issue(this.repo, childNumber);
    return removeSubIssue(
      this.state,
      this.repo,
      this.state.issue(this.repo, parentNumber),
      child.id,
      this.user,
    );
  }

  addSubIssue(parentNumber: number, childNumber: number) {
    const child = this.state.issue(this.repo, childNumber);
    return addSubIssue(
      this.state,
      this.repo,
      this.state.issue(this.repo, parentNumber),
      child.id,
      this.user,
    );
  }

  approve(pullNumber: number, body = 'Looks good to me.') {
    return createReview(this.state, this.repo, this.state.pull(this.repo, pullNumber), this.user, {
      event: 'APPROVE',
      body,
    });
  }

  requestChanges(
    pullNumber: number,
    body: string,
    comments: { path: string; line: number; body: string }[] = [],
  ) {
    return createReview(this.state, this.repo, this.state.pull(this.repo, pullNumber), this.user, {
      event: 'REQUEST_CHANGES',
      body,
      comments,
    });
  }

  merge(pullNumber: number, method: 'merge' | 'squash' | 'rebase' = 'merge') {
    return mergePull(this.state, this.repo, this.state.pull(this.repo, pullNumber), this.user, {
      merge_method: method,
    });
  }

  /** A commit of these files on `branch` (created from the default branch if new), then `push`. */
  async pushFiles(branch: string, files: Record<string, string>, message: string) {
    const git = this.state.git(this.repo);
    if (!(await git.revParse(`refs/heads/${branch}`))) {
      const base = await git.revParse(`refs/heads/${this.repo.defaultBranch}`);
      if (base) await git.updateBranch(branch, base, null);
    }
    const { before, after } = await git.commitFiles(branch, files, message, {
      name: this.user.name,
      email: this.user.email,
    });
    await announcePush(this.state, this.repo, this.user, [{ branch, before, after }]);
    return after;
  }

  /** Lists check runs on a commit as the person would see them. */
  checkRuns(sha: string) {
    return this.repo.checkRuns
      .filter((r) => r.headSha === sha)
      .map((r) => checkRunPayload(this.state, this.repo, r));
  }
}

export function grant(repo: RepoRecord, user: UserRecord, permission: Permission) {
  repo.collaborators.set(user.login.toLowerCase(), permission);
}
