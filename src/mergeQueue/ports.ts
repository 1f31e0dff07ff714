/**
 * The git side of the merge queue, behind a small interface: the processor
 * decides, these do. The real implementation (gitOperations.ts) works in the
 * repository's mirror and the task's worktree with the app's short-lived token;
 * tests and the benchmark may bring their own.
 */

export interface RepoTarget {
  installationId: number;
  owner: string;
  repo: string;
}

export interface BranchTarget extends RepoTarget {
  epicIssue: number;
  taskIssue: number;
  /** The task's branch, the PR's head. */
  branch: string;
  baseBranch: string;
  /** `branchPrefix` from the repository config: the app pushes only under it. */
  branchPrefix: string;
  /** Where the task's worktree is (recreated from the branch when it is gone). */
  worktreePath: string | null;
}

export type UpdateOutcome =
  /** The branch now holds the base; pushed as `headSha`. */
  | { outcome: 'updated'; headSha: string }
  /** Nothing to do: the head already contains the base. */
  | { outcome: 'up-to-date'; headSha: string }
  /** Git could not do it cleanly; nothing was pushed. */
  | { outcome: 'conflict'; files: string[] }
  /** The branch moved on the remote since the PR was read: read again. */
  | { outcome: 'head-moved'; headSha: string };

export interface MergeQueueGit {
  /** Fetches the remote's branches so the checks below see what GitHub sees. */
  refresh(target: RepoTarget): Promise<void>;
  /** The base branch's tip as last fetched. */
  baseTip(target: RepoTarget, baseBranch: string): Promise<string>;
  /** Whether `headSha` contains `baseSha` (nothing merged since the head was built). */
  contains(target: RepoTarget, headSha: string, baseSha: string): Promise<boolean>;
  /**
   * Whether `container` already holds everything `sha` brings: git's merge of
   * the two (`git merge-tree`) is clean and its tree is `container`'s own.
   * A head holding its base this way is up to date in content even when git's
   * history says it is behind (the base got a squash of what the head holds).
   */
  holdsContent(target: RepoTarget, container: string, sha: string): Promise<boolean>;
  /**
   * Whether two commits carry the same change relative to the base: the second
   * is a clean update of the first (same patch id). False when either is unknown.
   * `bFrom`: b's own change starts there rather than at its fork point from the
   * base (a branch the app built on the PR ahead of it).
   */
  samePatch(
    target: RepoTarget,
    baseBranch: string,
    a: string,
    b: string,
    bFrom?: string,
  ): Promise<boolean>;
  /**
   * Updates the branch with git in the task's worktree — a rebase or a merge —
   * onto the base tip, or `options.onto` (the head of the PR ahead, for
   * speculative CI), starting from `options.from` when given (the PR's own head
   * before the app built it on another PR), and pushes it with a lease on
   * `expectedHeadSha`.
   */
  updateBranch(
    target: BranchTarget,
    method: 'rebase' | 'merge',
    expectedHeadSha: string,
    options?: { onto?: string; from?: string },
  ): Promise<UpdateOutcome>;
  /**
   * Puts the branch back at `sha` (the PR's own head), with a lease on
   * `expectedHeadSha`: drops the commits of a PR ahead that did not land.
   */
  resetBranch(target: BranchTarget, sha: string, expectedHeadSha: string): Promise<UpdateOutcome>;
  /**
   * The PR's change, for the review: `git diff base...head`, or `from..head`
   * when its own change starts at `from`.
   */
  diff(target: RepoTarget, baseBranch: string, headSha: string, from?: string): Promise<string>;
  /**
   * A detached, read-only checkout of `headSha` for the supervisor's review;
   * returns its path. One per task, since PRs behind the head are reviewed
   * while the head's is (without `taskIssue`: one for the epic).
   */
  reviewCheckout(
    target: RepoTarget,
    epicIssue: number,
    headSha: string,
    taskIssue?: number,
  ): Promise<string>;
  /** Removes the epic's task worktrees once its work is merged. */
  removeEpicWorktrees(target: RepoTarget, epicIssue: number): Promise<string[]>;
}
