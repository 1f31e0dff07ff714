import type { ProbotOctokit } from 'probot';
import type { RepoRef } from '../config/loadRepoConfig.js';

/** The Octokit every GitHub verb takes: an installation client from Probot (webhook context or job). */
export type GitHub = ProbotOctokit;

export type { RepoRef };

export interface IssueRef extends RepoRef {
  issueNumber: number;
}

/** True when `error` is an Octokit request error with this HTTP status. */
export function hasStatus(error: unknown, status: number): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    (error as { status: unknown }).status === status
  );
}
