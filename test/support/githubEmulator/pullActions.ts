import { withKeyedLock } from '../../../src/git/keyedLock.js';
import { webFlow } from './bareRepo.js';
import { HttpError } from './http.js';
import { closeIssue, emitIssue } from './issueActions.js';
import type {
  IssueRecord,
  PullRecord,
  RepoRecord,
  ReviewCommentRecord,
  ReviewRecord,
  UserRecord,
} from './records.js';
import type { EmulatorState } from './state.js';

type Pull = IssueRecord & { pull: PullRecord };

/** Pull requests: opening, mergeability, merging for real in the bare repository, reviews. */

export async function createPull(
  state: EmulatorState,
  repo: RepoRecord,
  actor: UserRecord,
  input: { title: string; head: string; base: string; body?: string | null; draft?: boolean },
): Promise<Pull> {
  const git = state.git(repo);
  const headRef = input.head.includes(':') ? input.head.split(':').slice(1).join(':') : input.head;
  const headSha = await git.revParse(`refs/heads/${headRef}`);
  const baseSha = await git.revParse(`refs/heads/${input.base}`);
  const invalid = (field: string, message: string) =>
    new HttpError(422, 'Validation Failed', [
      { resource: 'PullRequest', field, code: 'invalid', message },
    ]);
  if (!headSha) throw invalid('head', `head branch ${headRef} does not exist`);
  if (!baseSha) throw invalid('base', `base branch ${input.base} does not exist`);
  const duplicate = [...repo.issues.values()].find(
    (i) =>
      i.pull && i.state === 'open' && i.pull.headRef === headRef && i.pull.baseRef === input.base,
  );
  if (duplicate)
    throw invalid('head', `A pull request already exists for ${repo.owner.login}:${headRef}.`);
  if (await git.isAncestor(headSha, baseSha))
    throw invalid('base', `No commits between ${input.base} and ${headRef}`);
  const now = new Date();
  const issue: Pull = {
    id: state.newId(),
    number: repo.nextNumber++,
    title: input.title,
    body: input.body ?? '',
    state: 'open',
    stateReason: null,
    labels: [],
    user: actor,
    assignees: [],
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    closedBy: null,
    reactions: [],
    subIssueIds: [],
    parentId: null,
    pull: {
      headRef,
      headSha,
      baseRef: input.base,
      baseSha,
      draft: input.draft ?? false,
      merged: false,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
      reviews: [],
      reviewComments: [],
    },
  };
  repo.issues.set(issue.number, issue);
  emitIssue(state, repo, issue, actor, 'opened');
  announceHead(state, repo, issue);
  return issue;
}

function announceHead(state: EmulatorState, repo: RepoRecord, pull: IssueRecord) {
  for (const listener of state.pullHeadListeners) listener(repo, pull);
}

/** What GitHub reports as `mergeable` / `mergeable_state`, computed with `git merge-tree`. */
export async function mergeability(state: EmulatorState, repo: RepoRecord, issue: Pull) {
  const git = state.git(repo);
  const pull = issue.pull;
  if (issue.state === 'closed')
    return { mergeable: null, mergeableState: 'unknown', commits: 0, changedFiles: 0 };
  const base = (await git.revParse(`refs/heads/${pull.baseRef}`)) ?? pull.baseSha;
  pull.baseSha = base;
  const merge = await git.mergeTree(base, pull.headSha);
  const upToDate = await git.isAncestor(base, pull.headSha);
  const commits = (await git.commitsBetween(base, pull.headSha)).length;
  const changedFiles = (await git.changedFiles(base, pull.headSha)).length;
  const mergeableState = !merge.clean
    ? 'dirty'
    : pull.draft
      ? 'draft'
      : upToDate
        ? 'clean'
        : 'behind';
  return { mergeable: merge.clean, mergeableState, commits, changedFiles };
}

export async function pullPayload(state: EmulatorState, repo: RepoRecord, issue: Pull) {
  return state.payloads.pull(repo, issue, await mergeability(state, repo, issue));
}

export async function updatePull(
  state: EmulatorState,
  repo: RepoRecord,
  issue: Pull,
  actor: UserRecord,
  input: { title?: string; body?: string | null; state?: 'open' | 'closed'; base?: string },
) {
  const changes: Record<string, { from: string }> = {};
  if (input.title !== undefined && input.title !== issue.title) {
    changes.title = { from: issue.title };
    issue.title = input.title;
  }
  if (input.body !== undefined && (input.body ?? '') !== issue.body) {
    changes.body = { from: issue.body };
    issue.body = input.body ?? '';
  }
  if (input.base !== undefined && input.base !== issue.pull.baseRef) {
    const sha = await state.git(repo).revParse(`refs/heads/${input.base}`);
    if (!sha) throw new HttpError(422, 'Validation Failed', [{ field: 'base', code: 'invalid' }]);
    changes.base = { from: issue.pull.baseRef };
    issue.pull.baseRef = input.base;
    issue.pull.baseSha = sha;
  }
  if (Object.keys(changes).length > 0) {
    state.touch(issue);
    emitIssue(state, repo, issue, actor, 'edited', { changes });
  }
  if (input.state === 'closed') closeIssue(state, repo, issue, actor);
  if (input.state === 'open' && issue.state === 'closed') {
    if (issue.pull.merged) throw new HttpError(422, 'Cannot reopen a merged pull request');
    issue.state = 'open';
    issue.closedAt = null;
    state.touch(issue);
    emitIssue(state, repo, issue, actor, 'reopened');
  }
}

const closingKeywords = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b/gi;

/**
 * Merges as GitHub's merge button does, into the bare repository: a merge
 * commit, a squash commit or the commits replayed; then the base's `push`,
 * the PR's `closed` (merged) and the linked issues closed.
 */
export function mergePull(
  state: EmulatorState,
  repo: RepoRecord,
  issue: Pull,
  actor: UserRecord,
  input: MergeInput,
) {
  // GitHub merges one at a time per repository: a second merge of the same PR
  // arriving meanwhile is refused (405), never a second commit on the base.
  return withKeyedLock(`emulator-merge:${repo.owner.login}/${repo.name}`, () =>
    mergeNow(state, repo, issue, actor, input),
  );
}

interface MergeInput {
  merge_method?: 'merge' | 'squash' | 'rebase';
  sha?: string;
  commit_title?: string;
  commit_message?: string;
}

/** The first required check of a protected base that has not passed on `headSha`, if any. */
function missingRequiredCheck(repo: RepoRecord, baseRef: string, headSha: string) {
  const rules = repo.protectedBranches.get(baseRef);
  if (!rules) return undefined;
  const passed = (name: string) => {
    const runs = repo.checkRuns.filter((run) => run.headSha === headSha && run.name === name);
    const latest = runs.at(-1);
    if (latest)
      return (
        latest.status === 'completed' &&
        ['success', 'neutral', 'skipped'].includes(latest.conclusion ?? '')
      );
    const statuses = repo.statuses.filter((s) => s.sha === headSha && s.context === name);
    return statuses.at(-1)?.state === 'success';
  };
  return rules.requiredChecks.find((name) => !passed(name));
}

async function mergeNow(
  state: EmulatorState,
  repo: RepoRecord,
  issue: Pull,
  actor: UserRecord,
  input: MergeInput,
) {
  const git = state.git(repo);
  const pull = issue.pull;
  if (pull.merged) throw new HttpError(405, 'Pull Request is not mergeable');
  if (issue.state === 'closed') throw new HttpError(422, 'Pull Request is not open');
  if (pull.draft) throw new HttpError(405, 'Pull Request is still a draft');
  if (input.sha && input.sha !== pull.headSha)
    throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
  const base = await git.revParse(`refs/heads/${pull.baseRef}`);
  if (!base) throw new HttpError(422, 'Base branch does not exist');
  const merge = await git.mergeTree(base, pull.headSha);
  if (!merge.clean) throw new HttpError(405, 'Pull Request is not mergeable');
  const missing = missingRequiredCheck(repo, pull.baseRef, pull.headSha);
  if (missing) throw new HttpError(405, `Required status check "${missing}" is expected.`);
  const method = input.merge_method ?? 'merge';
  const author = { name: actor.name, email: actor.email };
  let merged: string;
  if (method === 'rebase') {
    merged = await git.rebase(base, pull.headSha, webFlow);
  } else {
    const title =
      input.commit_title ??
      (method === 'squash'
        ? `${issue.title} (#${issue.number})`
        : `Merge pull request #${issue.number} from ${repo.owner.login}/${pull.headRef}`);
    const message = input.commit_message ?? (method === 'squash' ? '' : issue.title);
    const parents = method === 'squash' ? [base] : [base, pull.headSha];
    merged = await git.commitTree(
      merge.tree,
      parents,
      message ? `${title}\n\n${message}` : title,
      author,
    );
  }
  await git.updateBranch(pull.baseRef, merged, base);
  const now = new Date();
  pull.merged = true;
  pull.mergedAt = now;
  pull.mergedBy = actor;
  pull.mergeCommitSha = merged;
  pull.baseSha = base;
  await announcePush(state, repo, actor, [{ branch: pull.baseRef, before: base, after: merged }]);
  closeIssue(state, repo, issue, actor);
  if (pull.baseRef === repo.defaultBranch) {
    for (const match of issue.body.matchAll(closingKeywords)) {
      const linked = repo.issues.get(Number(match[1]));
      if (linked && !linked.pull) closeIssue(state, repo, linked, actor);
    }
  }
  return { sha: merged, merged: true, message: 'Pull Request successfully merged' };
}

export interface RefChange {
  branch: string;
  before: string | null;
  after: string | null;
}

/**
 * What follows a change of branches (a push over HTTP, a merge, a ref API
 * call): the `push` webhook, then `synchronize` for PRs whose head moved.
 */
export async function announcePush(
  state: EmulatorState,
  repo: RepoRecord,
  pusher: UserRecord,
  changes: RefChange[],
) {
  const git = state.git(repo);
  const zero = '0000000000000000000000000000000000000000';
  for (const change of changes) {
    const commits = change.after ? await git.commitsBetween(change.before, change.after) : [];
    const forced =
      change.before && change.after ? !(await git.isAncestor(change.before, change.after)) : false;
    const toCommit = (c: (typeof commits)[number]) => ({
      id: c.sha,
      tree_id: '',
      message: c.message,
      timestamp: c.timestamp,
      author: { ...c.author, username: c.author.name },
      committer: { ...c.committer, username: c.committer.name },
      url: `${state.payloads.baseUrl}/${repo.owner.login}/${repo.name}/commit/${c.sha}`,
      distinct: true,
      added: [],
      removed: [],
      modified: [],
    });
    const head = change.after ? await git.commit(change.after) : null;
    state.emit('push', repo, pusher, {
      ref: `refs/heads/${change.branch}`,
      before: change.before ?? zero,
      after: change.after ?? zero,
      created: change.before === null,
      deleted: change.after === null,
      forced,
      base_ref: null,
      compare: `${state.payloads.baseUrl}/${repo.owner.login}/${repo.name}/compare/${(change.before ?? zero).slice(0, 12)}...${(change.after ?? zero).slice(0, 12)}`,
      commits: commits.slice(-20).map(toCommit),
      head_commit: head ? toCommit(head) : null,
      pusher: { name: pusher.login, email: pusher.email },
    });
    if (!change.after) continue;
    for (const issue of repo.issues.values()) {
      if (!issue.pull || issue.state !== 'open' || issue.pull.headRef !== change.branch) continue;
      if (issue.pull.headSha === change.after) continue;
      const before = issue.pull.headSha;
      issue.pull.headSha = change.after;
      state.touch(issue);
      emitIssue(state, repo, issue, pusher, 'synchronize', { before, after: change.after });
      announceHead(state, repo, issue);
    }
  }
}

export function createReview(
  state: EmulatorState,
  repo: RepoRecord,
  issue: Pull,
  actor: UserRecord,
  input: {
    event?: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT';
    body?: string;
    commit_id?: string;
    comments?: {
      path: string;
      body: string;
      line?: number;
      side?: 'LEFT' | 'RIGHT';
      position?: number;
    }[];
  },
): ReviewRecord {
  const ownPull = issue.user.login === actor.login;
  if (ownPull && input.event === 'APPROVE')
    throw new HttpError(422, 'Unprocessable Entity', [
      { message: 'Review Can not approve your own pull request' },
    ]);
  if (ownPull && input.event === 'REQUEST_CHANGES')
    throw new HttpError(422, 'Unprocessable Entity', [
      { message: 'Review Can not request changes on your own pull request' },
    ]);
  if (
    (input.event === 'REQUEST_CHANGES' || input.event === 'COMMENT') &&
    !input.body &&
    !input.comments?.length
  ) {
    throw new HttpError(422, 'Unprocessable Entity', [
      { message: 'Review body is required for this event' },
    ]);
  }
  const stateOf = {
    APPROVE: 'APPROVED',
    REQUEST_CHANGES: 'CHANGES_REQUESTED',
    COMMENT: 'COMMENTED',
  } as const;
  const review: ReviewRecord = {
    id: state.newId(),
    user: actor,
    body: input.body ?? '',
    state: input.event ? stateOf[input.event] : 'PENDING',
    commitId: input.commit_id ?? issue.pull.headSha,
    submittedAt: new Date(),
  };
  issue.pull.reviews.push(review);
  const comments = (input.comments ?? []).map((c) =>
    addReviewComment(
      state,
      repo,
      issue,
      actor,
      { ...c, commit_id: review.commitId },
      review.id,
      false,
    ),
  );
  if (review.state !== 'PENDING') submitted(state, repo, issue, actor, review, comments);
  return review;
}

export function submitReview(
  state: EmulatorState,
  repo: RepoRecord,
  issue: Pull,
  review: ReviewRecord,
  actor: UserRecord,
  input: { event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'; body?: string },
) {
  if (review.state !== 'PENDING')
    throw new HttpError(422, 'Can not submit a review that is not pending');
  const stateOf = {
    APPROVE: 'APPROVED',
    REQUEST_CHANGES: 'CHANGES_REQUESTED',
    COMMENT: 'COMMENTED',
  } as const;
  review.state = stateOf[input.event];
  if (input.body) review.body = input.body;
  review.submittedAt = new Date();
  submitted(
    state,
    repo,
    issue,
    actor,
    review,
    issue.pull.reviewComments.filter((c) => c.reviewId === review.id),
  );
  return review;
}

function submitted(
  state: EmulatorState,
  repo: RepoRecord,
  issue: Pull,
  actor: UserRecord,
  review: ReviewRecord,
  comments: ReviewCommentRecord[],
) {
  state.touch(issue);
  const pullRequest = state.payloads.pull(repo, issue, {
    mergeable: null,
    mergeableState: 'unknown',
    commits: 0,
    changedFiles: 0,
  });
  state.emit('pull_request_review', repo, actor, {
    action: 'submitted',
    review: state.payloads.review(repo, issue.number, review),
    pull_request: pullRequest,
  });
  for (const comment of comments) {
    state.emit('pull_request_review_comment', repo, actor, {
      action: 'created',
      comment: state.payloads.reviewComment(repo, comment),
      pull_request: pullRequest,
    });
  }
}

export function addReviewComment(
  state: EmulatorState,
  repo: RepoRecord,
  issue: Pull,
  actor: UserRecord,
  input: {
    path?: string;
    body: string;
    line?: number;
    side?: 'LEFT' | 'RIGHT';
    commit_id?: string;
    in_reply_to?: number;
  },
  reviewId: number | null = null,
  announce = true,
): ReviewCommentRecord {
  const parent = input.in_reply_to
    ? issue.pull.reviewComments.find((c) => c.id === input.in_reply_to)
    : undefined;
  if (input.in_reply_to && !parent) throw new HttpError(404, 'Not Found');
  const path = parent?.path ?? input.path;
  if (!path)
    throw new HttpError(422, 'Validation Failed', [{ field: 'path', code: 'missing_field' }]);
  const now = new Date();
  const comment: ReviewCommentRecord = {
    id: state.newId(),
    pullNumber: issue.number,
    reviewId,
    user: actor,
    body: input.body,
    path,
    line: parent?.line ?? input.line ?? null,
    side: input.side ?? 'RIGHT',
    commitId: input.commit_id ?? issue.pull.headSha,
    inReplyToId: parent?.id ?? null,
    createdAt: now,
    updatedAt: now,
  };
  issue.pull.reviewComments.push(comment);
  if (announce) {
    if (comment.reviewId === null) {
      // A lone review comment is a one-comment review on GitHub.
      const review: ReviewRecord = {
        id: state.newId(),
        user: actor,
        body: '',
        state: 'COMMENTED',
        commitId: comment.commitId,
        submittedAt: now,
      };
      issue.pull.reviews.push(review);
      comment.reviewId = review.id;
    }
    const pullRequest = state.payloads.pull(repo, issue, {
      mergeable: null,
      mergeableState: 'unknown',
      commits: 0,
      changedFiles: 0,
    });
    state.emit('pull_request_review_comment', repo, actor, {
      action: 'created',
      comment: state.payloads.reviewComment(repo, comment),
      pull_request: pullRequest,
    });
  }
  return comment;
}
