/**
 * What the emulator remembers about its GitHub: users, repositories and
 * everything in them. Plain records; the payload shapes GitHub sends are
 * built from them in payloads.ts.
 */

export type UserKind = 'User' | 'Bot';
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface UserRecord {
  id: number;
  login: string;
  type: UserKind;
  name: string;
  email: string;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface ReactionRecord {
  id: number;
  content: string;
  user: UserRecord;
  createdAt: Date;
}

export interface CommentRecord {
  id: number;
  issueNumber: number;
  body: string;
  user: UserRecord;
  createdAt: Date;
  updatedAt: Date;
  reactions: ReactionRecord[];
}

export interface ReviewRecord {
  id: number;
  user: UserRecord;
  body: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  commitId: string;
  submittedAt: Date;
}

export interface ReviewCommentRecord {
  id: number;
  pullNumber: number;
  reviewId: number | null;
  user: UserRecord;
  body: string;
  path: string;
  line: number | null;
  side: 'LEFT' | 'RIGHT';
  commitId: string;
  inReplyToId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PullRecord {
  headRef: string;
  headSha: string;
  baseRef: string;
  /** The base commit when the PR was opened or last updated, as GitHub shows `base.sha`. */
  baseSha: string;
  draft: boolean;
  merged: boolean;
  mergedAt: Date | null;
  mergedBy: UserRecord | null;
  mergeCommitSha: string | null;
  reviews: ReviewRecord[];
  reviewComments: ReviewCommentRecord[];
}

export interface IssueRecord {
  id: number;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  labels: string[];
  user: UserRecord;
  assignees: UserRecord[];
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  closedBy: UserRecord | null;
  reactions: ReactionRecord[];
  /** Ids (not numbers) of sub-issues, in order. */
  subIssueIds: number[];
  parentId: number | null;
  /** Present when the issue is a pull request, as on GitHub where every PR is an issue. */
  pull: PullRecord | null;
}

export interface CheckRunRecord {
  id: number;
  suiteId: number;
  name: string;
  headSha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  app: 'factory' | 'ci';
  startedAt: Date;
  completedAt: Date | null;
}

export interface StatusRecord {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: UserRecord;
  createdAt: Date;
}

export interface RepoRecord {
  id: number;
  owner: UserRecord;
  name: string;
  defaultBranch: string;
  /** Absolute path of the bare git repository. */
  gitDir: string;
  labels: Map<string, LabelRecord>;
  issues: Map<number, IssueRecord>;
  comments: Map<number, CommentRecord>;
  collaborators: Map<string, Permission>;
  checkRuns: CheckRunRecord[];
  statuses: StatusRecord[];
  /** Branch protection: per branch, the checks (check run names or status contexts) a merge requires. */
  protectedBranches: Map<string, { requiredChecks: string[] }>;
  nextNumber: number;
}

export const fullName = (repo: RepoRecord) => `${repo.owner.login}/${repo.name}`;
