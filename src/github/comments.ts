import type { GitHub, IssueRef } from './octokit.js';

/**
 * Factory's comments carry a hidden marker naming what they are for, so a
 * retried job finds and edits its comment instead of posting a second one.
 */
export function commentMarker(key: string): string {
  if (!/^[A-Za-z0-9:._-]+$/.test(key)) throw new Error(`Invalid comment key "${key}"`);
  return `<!-- factory:${key} -->`;
}

export function markedBody(key: string, body: string): string {
  return `${commentMarker(key)}\n${body}`;
}

export interface EnsuredComment {
  id: number;
  url: string;
  outcome: 'created' | 'updated' | 'unchanged';
}

/** Finds the issue's comment carrying the key's marker (any page), or undefined. */
export async function findMarkedComment(
  octokit: GitHub,
  issue: IssueRef & { key: string },
): Promise<{ id: number; url: string; body: string } | undefined> {
  const marker = commentMarker(issue.key);
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: issue.owner,
    repo: issue.repo,
    issue_number: issue.issueNumber,
    per_page: 100,
  });
  for await (const page of pages) {
    const found = page.data.find((comment) => comment.body?.includes(marker));
    if (found) return { id: found.id, url: found.html_url, body: found.body ?? '' };
  }
  return undefined;
}

/** The issue has exactly one comment for `key`, saying `body`: created, edited or left alone. */
export async function ensureComment(
  octokit: GitHub,
  issue: IssueRef & { key: string; body: string },
): Promise<EnsuredComment> {
  const body = markedBody(issue.key, issue.body);
  const existing = await findMarkedComment(octokit, issue);
  if (existing) {
    if (existing.body === body) return { id: existing.id, url: existing.url, outcome: 'unchanged' };
    const { data } = await octokit.rest.issues.updateComment({
      owner: issue.owner,
      repo: issue.repo,
      comment_id: existing.id,
      body,
    });
    return { id: data.id, url: data.html_url, outcome: 'updated' };
  }
  const { data } = await octokit.rest.issues.createComment({
    owner: issue.owner,
    repo: issue.repo,
    issue_number: issue.issueNumber,
    body,
  });
  return { id: data.id, url: data.html_url, outcome: 'created' };
}
