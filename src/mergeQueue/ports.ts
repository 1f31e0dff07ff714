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
   * Whether two commits carry the same change relative to the base: the second
   * is a clean update of the first (same patch id). False when either is unknown.
   */
  samePatch(target: RepoTarget, baseBranch: string, a: string, b: string): Promise<boolean>;
  /**
   * Updates the branch onto the base tip with git in the task's worktree — a
   * rebase or a merge — and pushes it (with a lease on `expectedHeadSha`).
   */
  updateBranch(
    target: BranchTarget,
    method: 'rebase' | 'merge',
    expectedHeadSha: string,
  ): Promise<UpdateOutcome>;
  /** The PR's change against its base (`git diff base...head`), for the review. */
  diff(target: RepoTarget, baseBranch: string, headSha: string): Promise<string>;
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
