import { HttpError } from './http.js';
import type { CommentRecord, IssueRecord, LabelRecord, RepoRecord, UserRecord } from './records.js';
import type { EmulatorState } from './state.js';

/**
 * Changes to issues (and the issue side of pull requests), each followed by
 * the webhooks GitHub sends for it — whoever made the change, the App included.
 */

const defaultColor = 'ededed';

export function ensureLabel(
  state: EmulatorState,
  repo: RepoRecord,
  name: string,
  color = defaultColor,
  description: string | null = null,
): LabelRecord {
  const existing = [...repo.labels.values()].find(
    (l) => l.name.toLowerCase() === name.toLowerCase(),
  );
  if (existing) return existing;
  const label = { id: state.newId(), name, color, description };
  repo.labels.set(name, label);
  return label;
}

export function createLabel(
  state: EmulatorState,
  repo: RepoRecord,
  input: { name: string; color?: string; description?: string | null },
) {
  const exists = [...repo.labels.values()].some(
    (l) => l.name.toLowerCase() === input.name.toLowerCase(),
  );
  if (exists)
    throw new HttpError(422, 'Validation Failed', [
      { resource: 'Label', code: 'already_exists', field: 'name' },
    ]);
  return ensureLabel(
    state,
    repo,
    input.name,
    input.color ?? defaultColor,
    input.description ?? null,
  );
}

/** Event name and payload key of an issue: PRs are reported as `pull_request`. */
function issueEvent(state: EmulatorState, repo: RepoRecord, issue: IssueRecord) {
  if (issue.pull) {
    return { event: 'pull_request', key: 'pull_request', value: pullSnapshot(state, repo, issue) };
  }
  return { event: 'issues', key: 'issue', value: state.issuePayload(repo, issue) };
}

/** A PR payload for webhooks, where mergeability is still being computed (null), as on GitHub. */
export function pullSnapshot(state: EmulatorState, repo: RepoRecord, issue: IssueRecord) {
  return state.payloads.pull(repo, issue, {
    mergeable: null,
    mergeableState: 'unknown',
    commits: 0,
    changedFiles: 0,
  });
}

export function emitIssue(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  sender: UserRecord,
  action: string,
  extra: Record<string, unknown> = {},
) {
  const { event, key, value } = issueEvent(state, repo, issue);
  const body: Record<string, unknown> = { action, [key]: value, ...extra };
  if (issue.pull) body.number = issue.number;
  return state.emit(event, repo, sender, body);
}

export function createIssue(
  state: EmulatorState,
  repo: RepoRecord,
  actor: UserRecord,
  input: { title: string; body?: string | null; labels?: string[]; assignees?: string[] },
): IssueRecord {
  const now = new Date();
  const issue: IssueRecord = {
    id: state.newId(),
    number: repo.nextNumber++,
    title: input.title,
    body: input.body ?? '',
    state: 'open',
    stateReason: null,
    labels: [],
    user: actor,
    assignees: (input.assignees ?? []).map((login) => state.user(login)),
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    closedBy: null,
    reactions: [],
    subIssueIds: [],
    parentId: null,
    pull: null,
  };
  repo.issues.set(issue.number, issue);
  const labels = (input.labels ?? []).map((name) => ensureLabel(state, repo, name).name);
  issue.labels = labels;
  emitIssue(state, repo, issue, actor, 'opened');
  for (const name of labels) emitLabeled(state, repo, issue, actor, name, 'labeled');
  return issue;
}

function emitLabeled(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  actor: UserRecord,
  name: string,
  action: 'labeled' | 'unlabeled',
) {
  const label = repo.labels.get(name);
  emitIssue(state, repo, issue, actor, action, {
    label: label ? state.payloads.label(repo, label) : { name },
  });
}

export function addLabels(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  actor: UserRecord,
  names: string[],
) {
  for (const name of names) {
    const label = ensureLabel(state, repo, name);
    if (issue.labels.includes(label.name)) continue;
    issue.labels.push(label.name);
    state.touch(issue);
    emitLabeled(state, repo, issue, actor, label.name, 'labeled');
  }
}

export function removeLabel(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  actor: UserRecord,
  name: string,
) {
  const present = issue.labels.find((l) => l.toLowerCase() === name.toLowerCase());
  if (!present) throw new HttpError(404, 'Label does not exist');
  issue.labels = issue.labels.filter((l) => l !== present);
  state.touch(issue);
  emitLabeled(state, repo, issue, actor, present, 'unlabeled');
}

export function setLabels(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  actor: UserRecord,
  names: string[],
) {
  const wanted = names.map((name) => ensureLabel(state, repo, name).name);
  for (const name of issue.labels.filter((l) => !wanted.includes(l)))
    removeLabel(state, repo, issue, actor, name);
  addLabels(state, repo, issue, actor, wanted);
}

export function closeIssue(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  actor: UserRecord,
  reason: 'completed' | 'not_planned' = 'completed',
) {
  if (issue.state === 'closed') return;
  issue.state = 'closed';
  issue.stateReason = reason;
  issue.closedAt = new Date();
  issue.closedBy = actor;
  state.touch(issue);
  emitIssue(state, repo, issue, actor, 'closed');
}

export function reopenIssue(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  actor: UserRecord,
) {
  if (issue.state === 'open') return;
  if (issue.pull?.merged) throw new HttpError(422, 'Cannot reopen a merged pull request');
  issue.state = 'open';
  issue.stateReason = 'reopened';
  issue.closedAt = null;
  issue.closedBy = null;
  state.touch(issue);
  emitIssue(state, repo, issue, actor, 'reopened');
}

export function updateIssue(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  actor: UserRecord,
  input: {
    title?: string;
    body?: string | null;
    state?: 'open' | 'closed';
    state_reason?: string | null;
    labels?: string[];
    assignees?: string[];
  },
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
  if (input.assignees) issue.assignees = input.assignees.map((login) => state.user(login));
  if (Object.keys(changes).length > 0) {
    state.touch(issue);
    emitIssue(state, repo, issue, actor, 'edited', { changes });
  }
  if (input.labels) setLabels(state, repo, issue, actor, input.labels);
  if (input.state === 'closed')
    closeIssue(
      state,
      repo,
      issue,
      actor,
      input.state_reason === 'not_planned' ? 'not_planned' : 'completed',
    );
  if (input.state === 'open') reopenIssue(state, repo, issue, actor);
}

export function createComment(
  state: EmulatorState,
  repo: RepoRecord,
  issue: IssueRecord,
  actor: UserRecord,
  body: string,
): CommentRecord {
  const now = new Date();
  const comment: CommentRecord = {
    id: state.newId(),
    issueNumber: issue.number,
    body,
    user: actor,
    createdAt: now,
    updatedAt: now,
    reactions: [],
  };
  repo.comments.set(comment.id, comment);
  state.touch(issue);
  state.emit('issue_comment', repo, actor, {
    action: 'created',
    issue: state.issuePayload(repo, issue),
    comment: state.payloads.comment(repo, comment),
  });
  return comment;
}

export function comment(repo: RepoRecord, id: number | string): CommentRecord {
  const found = repo.comments.get(Number(id));
  if (!found) throw new HttpError(404, 'Not Found');
  return found;
}

export function updateComment(
  state: EmulatorState,
  repo: RepoRecord,
  record: CommentRecord,
  actor: UserRecord,
  body: string,
) {
  if (record.body === body) return record;
  const from = record.body;
  record.body = body;
  record.updatedAt = new Date();
  state.emit('issue_comment', repo, actor, {
    action: 'edited',
    changes: { body: { from } },
    issue: state.issuePayload(repo, state.issue(repo, record.issueNumber)),
    comment: state.payloads.comment(repo, record),
  });
  return record;
}

export function deleteComment(
  state: EmulatorState,
  repo: RepoRecord,
  record: CommentRecord,
  actor: UserRecord,
) {
  repo.comments.delete(record.id);
  state.emit('issue_comment', repo, actor, {
    action: 'deleted',
    issue: state.issuePayload(repo, state.issue(repo, record.issueNumber)),
    comment: state.payloads.comment(repo, record),
  });
}

export function addSubIssue(
  state: EmulatorState,
  repo: RepoRecord,
  parent: IssueRecord,
  subIssueId: number,
  actor: UserRecord,
  replaceParent = false,
) {
  const sub = state.issueById(repo, subIssueId);
  if (!sub) throw new HttpError(404, 'Not Found');
  if (sub.id === parent.id) throw new HttpError(422, 'An issue cannot be its own sub-issue');
  if (sub.pull) throw new HttpError(422, 'Pull requests cannot be sub-issues');
  if (parent.subIssueIds.includes(sub.id))
    throw new HttpError(422, 'Validation Failed', [
      { message: 'Sub-issue already exists for this parent' },
    ]);
  if (sub.parentId !== null) {
    if (!replaceParent)
      throw new HttpError(422, 'Validation Failed', [
        {
          message:
            'Issue may not contain duplicate sub-issues and Sub issue may only have one parent',
        },
      ]);
    const old = state.issueById(repo, sub.parentId);
    if (old) removeSubIssue(state, repo, old, sub.id, actor);
  }
  parent.subIssueIds.push(sub.id);
  sub.parentId = parent.id;
  state.touch(parent);
  emitSubIssue(state, repo, parent, sub, actor, 'added');
  return sub;
}

export function removeSubIssue(
  state: EmulatorState,
  repo: RepoRecord,
  parent: IssueRecord,
  subIssueId: number,
  actor: UserRecord,
) {
  const sub = state.issueById(repo, subIssueId);
  if (!sub || !parent.subIssueIds.includes(sub.id)) throw new HttpError(404, 'Not Found');
  parent.subIssueIds = parent.subIssueIds.filter((id) => id !== sub.id);
  sub.parentId = null;
  state.touch(parent);
  emitSubIssue(state, repo, parent, sub, actor, 'removed');
  return sub;
}

function emitSubIssue(
  state: EmulatorState,
  repo: RepoRecord,
  parent: IssueRecord,
  sub: IssueRecord,
  actor: UserRecord,
  verb: 'added' | 'removed',
) {
  const body = {
    sub_issue_id: sub.id,
    sub_issue: state.issuePayload(repo, sub),
    sub_issue_repo: state.payloads.repository(repo),
    parent_issue_id: parent.id,
    parent_issue: state.issuePayload(repo, parent),
    parent_issue_repo: state.payloads.repository(repo),
  };
  state.emit('sub_issues', repo, actor, { action: `sub_issue_${verb}`, ...body });
  state.emit('sub_issues', repo, actor, { action: `parent_issue_${verb}`, ...body });
}
