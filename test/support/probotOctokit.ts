import { ProbotOctokit } from 'probot';

/**
 * ProbotOctokit for tests, without retries or throttling. The function form is
 * needed: with `defaults({ throttle: { enabled: false } })` (an object) Probot's
 * own throttle options win again for installation clients, and every POST
 * that creates content waits 3 s (Probot 14.3, checked here).
 */
export const TestProbotOctokit = ProbotOctokit.defaults((options: object) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));
