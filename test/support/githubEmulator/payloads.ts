import {
  fullName,
  type CheckRunRecord,
  type CommentRecord,
  type IssueRecord,
  type LabelRecord,
  type ReactionRecord,
  type RepoRecord,
  type ReviewCommentRecord,
  type ReviewRecord,
  type StatusRecord,
  type UserRecord,
} from './records.js';

/**
 * GitHub's JSON shapes, built from the records. Only the fields a GitHub App
 * plausibly reads are filled, with GitHub's names and types.
 */
export class Payloads {
  constructor(readonly baseUrl: string) {}

  private api(path: string) {
    return `${this.baseUrl}${path}`;
  }

  private html(path: string) {
    return `${this.baseUrl}/${path}`;
  }

  user(user: UserRecord) {
    return {
      login: user.login,
      id: user.id,
      node_id: `U_${user.id}`,
      type: user.type,
      site_admin: false,
      avatar_url: `${this.baseUrl}/avatars/${user.id}`,
      url: this.api(`/users/${encodeURIComponent(user.login)}`),
      html_url: this.html(encodeURIComponent(user.login)),
    };
  }

  repository(repo: RepoRecord) {
    const name = fullName(repo);
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: name,
      owner: this.user(repo.owner),
      private: true,
      visibility: 'private',
      fork: false,
      archived: false,
      disabled: false,
      default_branch: repo.defaultBranch,
      html_url: this.html(name),
      url: this.api(`/repos/${name}`),
      clone_url: this.html(`${name}.git`),
      git_url: this.html(`${name}.git`),
      ssh_url: `git@emulator:${name}.git`,
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_merge_commit: true,
      allow_squash_merge: true,
      allow_rebase_merge: true,
    };
  }

  label(repo: RepoRecord, label: LabelRecord) {
    return {
      id: label.id,
      node_id: `LA_${label.id}`,
      url: this.api(`/repos/${fullName(repo)}/labels/${encodeURIComponent(label.name)}`),
      name: label.name,
      color: label.color,
      description: label.description,
      default: false,
    };
  }

  private reactionSummary(reactions: ReactionRecord[]) {
    const count = (content: string) => reactions.filter((r) => r.content === content).length;
    return {
      total_count: reactions.length,
      '+1': count('+1'),
      '-1': count('-1'),
      laugh: count('laugh'),
      confused: count('confused'),
      heart: count('heart'),
      hooray: count('hooray'),
      rocket: count('rocket'),
      eyes: count('eyes'),
    };
  }

  reaction(reaction: ReactionRecord) {
    return {
      id: reaction.id,
      node_id: `REA_${reaction.id}`,
      content: reaction.content,
      user: this.user(reaction.user),
      created_at: reaction.createdAt.toISOString(),
    };
  }

  issue(repo: RepoRecord, issue: IssueRecord, subIssues: IssueRecord[] = [], parent?: IssueRecord) {
    const name = fullName(repo);
    const kind = issue.pull ? 'pull' : 'issues';
    const labels = issue.labels.map((labelName) => {
      const label = repo.labels.get(labelName);
      return label ? this.label(repo, label) : { name: labelName };
    });
    const completed = subIssues.filter((sub) => sub.state === 'closed').length;
    return {
      id: issue.id,
      node_id: `I_${issue.id}`,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      state_reason: issue.stateReason,
      locked: false,
      labels,
      user: this.user(issue.user),
      assignee: issue.assignees[0] ? this.user(issue.assignees[0]) : null,
      assignees: issue.assignees.map((u) => this.user(u)),
      comments: [...repo.comments.values()].filter((c) => c.issueNumber === issue.number).length,
      created_at: issue.createdAt.toISOString(),
      updated_at: issue.updatedAt.toISOString(),
      closed_at: issue.closedAt?.toISOString() ?? null,
      closed_by: issue.closedBy ? this.user(issue.closedBy) : null,
      author_association: issue.user.login === repo.owner.login ? 'OWNER' : 'NONE',
      url: this.api(`/repos/${name}/issues/${issue.number}`),
      repository_url: this.api(`/repos/${name}`),
      comments_url: this.api(`/repos/${name}/issues/${issue.number}/comments`),
      html_url: this.html(`${name}/${kind}/${issue.number}`),
      reactions: this.reactionSummary(issue.reactions),
      sub_issues_summary: {
        total: subIssues.length,
        completed,
        percent_completed: subIssues.length ? Math.round((100 * completed) / subIssues.length) : 0,
      },
      ...(parent ? { parent_issue_url: this.api(`/repos/${name}/issues/${parent.number}`) } : {}),
      ...(issue.pull
        ? {
            pull_request: {
              url: this.api(`/repos/${name}/pulls/${issue.number}`),
              html_url: this.html(`${name}/pull/${issue.number}`),
              diff_url: this.html(`${name}/pull/${issue.number}.diff`),
              patch_url: this.html(`${name}/pull/${issue.number}.patch`),
              merged_at: issue.pull.mergedAt?.toISOString() ?? null,
            },
          }
        : {}),
    };
  }

  comment(repo: RepoRecord, comment: CommentRecord) {
    const name = fullName(repo);
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      body: comment.body,
      user: this.user(comment.user),
      created_at: comment.createdAt.toISOString(),
      updated_at: comment.updatedAt.toISOString(),
      author_association: comment.user.login === repo.owner.login ? 'OWNER' : 'NONE',
      url: this.api(`/repos/${name}/issues/comments/${comment.id}`),
      html_url: this.html(`${name}/issues/${comment.issueNumber}#issuecomment-${comment.id}`),
      issue_url: this.api(`/repos/${name}/issues/${comment.issueNumber}`),
      reactions: this.reactionSummary(comment.reactions),
    };
  }

  pull(
    repo: RepoRecord,
    issue: IssueRecord,
    extra: {
      mergeable: boolean | null;
      mergeableState: string;
      commits: number;
      changedFiles: number;
    },
  ) {
    const pull = issue.pull;
    if (!pull) throw new Error(`#${issue.number} is not a pull request`);
    const name = fullName(repo);
    const asIssue = this.issue(repo, issue);
    const ref = (branch: string, sha: string) => ({
      label: `${repo.owner.login}:${branch}`,
      ref: branch,
      sha,
      user: this.user(repo.owner),
      repo: this.repository(repo),
    });
    return {
      ...asIssue,
      node_id: `PR_${issue.id}`,
      url: this.api(`/repos/${name}/pulls/${issue.number}`),
      html_url: this.html(`${name}/pull/${issue.number}`),
      diff_url: this.html(`${name}/pull/${issue.number}.diff`),
      issue_url: this.api(`/repos/${name}/issues/${issue.number}`),
      head: ref(pull.headRef, pull.headSha),
      base: ref(pull.baseRef, pull.baseSha),
      draft: pull.draft,
      merged: pull.merged,
      merged_at: pull.mergedAt?.toISOString() ?? null,
      merged_by: pull.mergedBy ? this.user(pull.mergedBy) : null,
      merge_commit_sha: pull.mergeCommitSha,
      mergeable: extra.mergeable,
      mergeable_state: extra.mergeableState,
      rebaseable: extra.mergeable,
      commits: extra.commits,
      changed_files: extra.changedFiles,
      review_comments: pull.reviewComments.length,
      maintainer_can_modify: false,
      requested_reviewers: [],
      auto_merge: null,
    };
  }

  review(repo: RepoRecord, pullNumber: number, review: ReviewRecord) {
    const name = fullName(repo);
    return {
      id: review.id,
      node_id: `PRR_${review.id}`,
      user: this.user(review.user),
      body: review.body,
      state: review.state,
      commit_id: review.commitId,
      submitted_at: review.submittedAt.toISOString(),
      author_association: review.user.login === repo.owner.login ? 'OWNER' : 'NONE',
      html_url: this.html(`${name}/pull/${pullNumber}#pullrequestreview-${review.id}`),
      pull_request_url: this.api(`/repos/${name}/pulls/${pullNumber}`),
    };
  }

  reviewComment(repo: RepoRecord, comment: ReviewCommentRecord) {
    const name = fullName(repo);
    return {
      id: comment.id,
      node_id: `PRRC_${comment.id}`,
      pull_request_review_id: comment.reviewId,
      in_reply_to_id: comment.inReplyToId ?? undefined,
      user: this.user(comment.user),
      body: comment.body,
      path: comment.path,
      line: comment.line,
      original_line: comment.line,
      side: comment.side,
      commit_id: comment.commitId,
      original_commit_id: comment.commitId,
      created_at: comment.createdAt.toISOString(),
      updated_at: comment.updatedAt.toISOString(),
      author_association: comment.user.login === repo.owner.login ? 'OWNER' : 'NONE',
      url: this.api(`/repos/${name}/pulls/comments/${comment.id}`),
      html_url: this.html(`${name}/pull/${comment.pullNumber}#discussion_r${comment.id}`),
      pull_request_url: this.api(`/repos/${name}/pulls/${comment.pullNumber}`),
    };
  }

  checkRun(
    repo: RepoRecord,
    run: CheckRunRecord,
    app: { id: number; slug: string; name: string },
    pullNumbers: number[],
  ) {
    const name = fullName(repo);
    return {
      id: run.id,
      node_id: `CR_${run.id}`,
      name: run.name,
      head_sha: run.headSha,
      status: run.status,
      conclusion: run.conclusion,
      external_id: run.externalId,
      details_url: run.detailsUrl,
      started_at: run.startedAt.toISOString(),
      completed_at: run.completedAt?.toISOString() ?? null,
      output: { title: run.title, summary: run.summary, text: run.text, annotations_count: 0 },
      check_suite: { id: run.suiteId },
      app: { id: app.id, slug: app.slug, name: app.name },
      url: this.api(`/repos/${name}/check-runs/${run.id}`),
      html_url: this.html(`${name}/runs/${run.id}`),
      pull_requests: pullNumbers.map((number) => ({
        number,
        url: this.api(`/repos/${name}/pulls/${number}`),
      })),
    };
  }

  status(repo: RepoRecord, status: StatusRecord) {
    return {
      id: status.id,
      node_id: `SC_${status.id}`,
      state: status.state,
      context: status.context,
      description: status.description,
      target_url: status.targetUrl,
      creator: this.user(status.creator),
      created_at: status.createdAt.toISOString(),
      updated_at: status.createdAt.toISOString(),
      url: this.api(`/repos/${fullName(repo)}/statuses/${status.sha}`),
    };
  }
}
