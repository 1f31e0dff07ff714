import type { RepoConfig } from '../config/repoConfig.js';
import { hasStatus, type GitHub, type IssueRef, type RepoRef } from './octokit.js';

/** The labels Factory owns in a repository, named by the repository's config. */
export type FactoryLabelKey = keyof RepoConfig['labels'];
/** The labels that show where an epic or task stands; exactly one is on an issue at a time. */
export type StateLabelKey = Exclude<FactoryLabelKey, 'epic'>;
export const stateLabelKeys: readonly StateLabelKey[] = [
  'planning',
  'inProgress',
  'review',
  'blocked',
  'done',
];

export interface LabelSpec {
  name: string;
  color: string;
  description: string;
}

const looks: Record<FactoryLabelKey, Omit<LabelSpec, 'name'>> = {
  epic: { color: '5319e7', description: 'Factory plans this issue into tasks and implements it' },
  planning: { color: 'fbca04', description: 'Factory is planning this epic' },
  inProgress: { color: '1d76db', description: 'Factory agents are working on this' },
  review: { color: '0e8a16', description: 'A Factory pull request is in review' },
  blocked: { color: 'd93f0b', description: 'Factory needs a person to unblock this' },
  done: { color: '6f42c1', description: 'Factory finished this' },
};

export function factoryLabels(labels: RepoConfig['labels']): LabelSpec[] {
  return (Object.keys(looks) as FactoryLabelKey[]).map((key) => ({
    name: labels[key],
    ...looks[key],
  }));
}

/**
 * Creates the factory labels the repository lacks. Labels that exist are left
 * as they are: a maintainer may have recoloured them on purpose.
 * Returns the names it created.
 */
export async function ensureLabels(
  octokit: GitHub,
  repo: RepoRef & { labels: RepoConfig['labels'] },
): Promise<string[]> {
  const existing = await octokit.paginate(octokit.rest.issues.listLabelsForRepo, {
    owner: repo.owner,
    repo: repo.repo,
    per_page: 100,
  });
  const present = new Set(existing.map((label) => label.name.toLowerCase()));
  const created: string[] = [];
  for (const spec of factoryLabels(repo.labels)) {
    if (present.has(spec.name.toLowerCase())) continue;
    try {
      await octokit.rest.issues.createLabel({ owner: repo.owner, repo: repo.repo, ...spec });
      created.push(spec.name);
    } catch (error) {
      // Another process created it between our read and our write: that is the wanted outcome.
      if (!hasStatus(error, 422)) throw error;
    }
  }
  return created;
}

/**
 * Makes `state` the only factory state label on the issue (or removes them
 * all when `state` is null). Other labels, the epic label included, stay.
 */
export async function setStateLabel(
  octokit: GitHub,
  issue: IssueRef & { labels: RepoConfig['labels']; state: StateLabelKey | null },
): Promise<{ added: string[]; removed: string[] }> {
  const wanted = issue.state === null ? undefined : issue.labels[issue.state];
  const stateNames = new Set(stateLabelKeys.map((key) => issue.labels[key].toLowerCase()));
  const current = await octokit.paginate(octokit.rest.issues.listLabelsOnIssue, {
    owner: issue.owner,
    repo: issue.repo,
    issue_number: issue.issueNumber,
    per_page: 100,
  });
  const removed: string[] = [];
  for (const label of current) {
    const name = label.name.toLowerCase();
    if (!stateNames.has(name) || name === wanted?.toLowerCase()) continue;
    try {
      await octokit.rest.issues.removeLabel({
        owner: issue.owner,
        repo: issue.repo,
        issue_number: issue.issueNumber,
        name: label.name,
      });
      removed.push(label.name);
    } catch (error) {
      if (!hasStatus(error, 404)) throw error; // already gone
    }
  }
  const added: string[] = [];
  if (wanted && !current.some((label) => label.name.toLowerCase() === wanted.toLowerCase())) {
    await octokit.rest.issues.addLabels({
      owner: issue.owner,
      repo: issue.repo,
      issue_number: issue.issueNumber,
      labels: [wanted],
    });
    added.push(wanted);
  }
  return { added, removed };
}
