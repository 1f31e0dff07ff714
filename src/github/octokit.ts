import { ProbotOctokit } from 'probot';
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

/**
 * Probot's Octokit without write spacing (GITHUB_WRITE_THROTTLE=off). The
 * function form is needed: with an options object Probot's own throttle
 * settings win again for installation clients.
 */
export const UnthrottledOctokit = ProbotOctokit.defaults((options: object) => ({
  ...options,
  throttle: { enabled: false },
}));
