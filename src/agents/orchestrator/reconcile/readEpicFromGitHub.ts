import type { ProbotOctokit } from 'probot';
import { z } from 'zod';
import type { Epic } from '../../../db/schema.js';
import { conditionalGet, type ReconcileStore } from './conditionalGet.js';
import type { GitHubEpicView, PullView, SubIssueView } from './diffEpic.js';

const issueSchema = z.object({
  state: z.enum(['open', 'closed']),
  labels: z.array(z.union([z.string(), z.object({ name: z.string().optional() })])),
});
const subIssuesSchema = z.array(
  z.object({
    id: z.number(),
    number: z.number(),
    title: z.string(),
    body: z.string().nullish(),
    state: z.enum(['open', 'closed']).default('open'),
  }),
);
const checkRunsSchema = z.object({
  check_runs: z.array(z.object({ completed_at: z.string().nullish() })),
});
const combinedStatusSchema = z.object({
  statuses: z.array(z.object({ state: z.string(), updated_at: z.string().nullish() })),
});
const pullSchema = z.object({
  state: z.enum(['open', 'closed']),
  merged: z.boolean().nullish(),
  merged_at: z.string().nullish(),
  merge_commit_sha: z.string().nullish(),
  head: z.object({ sha: z.string() }),
});

type IssueProjection = { state: 'open' | 'closed'; labels: string[] };

/** A budget of API requests shared by a whole reconciliation pass. */
export class CallBudget {
  constructor(private remaining: number) {}
  take(): boolean {
    if (this.remaining <= 0) return false;
    this.remaining -= 1;
    return true;
  }
  get left() {
    return this.remaining;
  }
}

/**
 * What GitHub says about one epic: its issue, its sub-issues and the PRs of
 * its unfinished tasks — each a conditional request, each taken from the
 * pass's budget. What the budget does not cover stays `undefined` (unknown)
 * and is not diffed; the next pass starts with the epics this one skipped.
 */
export async function readEpicFromGitHub(
  octokit: ProbotOctokit,
  store: ReconcileStore,
  budget: CallBudget,
  epic: Epic,
  pullNumbers: readonly number[],
  epicLabel: string,
  /** The PR at the head of the epic's merge queue, whose checks are read too. */
  queueHeadPr?: number,
): Promise<{ view: GitHubEpicView; complete: boolean }> {
  const repo = `/repos/${epic.repoOwner}/${epic.repoName}`;
  const view: { -readonly [K in keyof GitHubEpicView]: GitHubEpicView[K] } = { pulls: new Map() };
  if (!budget.take()) return { view, complete: false };
  const issue = await conditionalGet(
    octokit,
    store,
    `${repo}/issues/${epic.issueNumber}`,
    projectIssue,
  );
  view.issue = issue.value === 'gone' ? { state: 'gone' } : issue.value;
  // An epic that is over on GitHub is cancelled: its sub-issues and PRs need no reading.
  if (issue.value === 'gone' || issue.value.state === 'closed') return { view, complete: true };
  if (!issue.value.labels.includes(epicLabel)) return { view, complete: true };

  if (!budget.take()) return { view, complete: false };
  const subIssues = await conditionalGet(
    octokit,
    store,
    `${repo}/issues/${epic.issueNumber}/sub_issues?per_page=100`,
    projectSubIssues,
  );
  view.subIssues = subIssues.value === 'gone' ? [] : subIssues.value;

  const pulls = new Map<number, PullView>();
  for (const number of pullNumbers) {
    if (!budget.take()) return { view: { ...view, pulls }, complete: false };
    const pull = await conditionalGet(octokit, store, `${repo}/pulls/${number}`, projectPull);
    pulls.set(number, pull.value === 'gone' ? { state: 'gone' } : pull.value);
  }
  const head = queueHeadPr === undefined ? undefined : pulls.get(queueHeadPr);
  if (head?.state !== 'open') return { view: { ...view, pulls }, complete: true };
  if (!budget.take() || !budget.take()) return { view: { ...view, pulls }, complete: false };
  const [runs, statuses] = await Promise.all([
    conditionalGet(
      octokit,
      store,
      `${repo}/commits/${head.headSha}/check-runs?per_page=100`,
      projectCheckRuns,
    ),
    conditionalGet(
      octokit,
      store,
      `${repo}/commits/${head.headSha}/status?per_page=100`,
      projectStatuses,
    ),
  ]);
  const finished = [runs.value, statuses.value].filter(
    (at): at is string => at !== null && at !== 'gone',
  );
  const lastFinishedAt = finished.length
    ? new Date(Math.max(...finished.map((at) => Date.parse(at))))
    : null;
  return {
    view: { ...view, pulls, headChecks: { headSha: head.headSha, lastFinishedAt } },
    complete: true,
  };
}

/** When the last finished check run finished (ISO), or null. Cached as a string: it goes through JSON. */
function projectCheckRuns(data: unknown): string | null {
  return latest(checkRunsSchema.parse(data).check_runs.map((run) => run.completed_at));
}

/** When the last status other than `pending` was set (ISO), or null. */
function projectStatuses(data: unknown): string | null {
  return latest(
    combinedStatusSchema
      .parse(data)
      .statuses.filter((status) => status.state !== 'pending')
      .map((status) => status.updated_at),
  );
}

function latest(times: (string | null | undefined)[]): string | null {
  const known = times.filter((at): at is string => !!at && !Number.isNaN(Date.parse(at)));
  if (known.length === 0) return null;
  return new Date(Math.max(...known.map((at) => Date.parse(at)))).toISOString();
}

function projectIssue(data: unknown): IssueProjection {
  const issue = issueSchema.parse(data);
  return {
    state: issue.state,
    labels: issue.labels.flatMap((label) =>
      typeof label === 'string' ? [label] : label.name ? [label.name] : [],
    ),
  };
}

function projectSubIssues(data: unknown): SubIssueView[] {
  return subIssuesSchema.parse(data).map((sub) => ({
    id: sub.id,
    number: sub.number,
    title: sub.title,
    body: sub.body ?? '',
    state: sub.state,
  }));
}

function projectPull(data: unknown): PullView {
  const pull = pullSchema.parse(data);
  if (pull.state === 'open') return { state: 'open', headSha: pull.head.sha };
  const merged = pull.merged ?? pull.merged_at != null;
  return {
    state: 'closed',
    merged,
    mergedSha: merged ? (pull.merge_commit_sha ?? null) : null,
    headSha: pull.head.sha,
  };
}
