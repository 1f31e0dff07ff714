/**
 * A hidden line in every review the supervisor submits. It names the verdict
 * and the commit, so a review GitHub had to accept as a comment (an App may
 * not approve its own PR) still counts, and a retried job finds its own review.
 */

export type Verdict = 'APPROVE' | 'REQUEST_CHANGES';

const pattern = /<!-- factory:review verdict=(APPROVE|REQUEST_CHANGES) sha=([0-9a-f]{7,64}) -->/;

export function reviewMarker(verdict: Verdict, sha: string): string {
  return `<!-- factory:review verdict=${verdict} sha=${sha} -->`;
}

export function parseReviewMarker(body: string): { verdict: Verdict; sha: string } | undefined {
  const match = pattern.exec(body);
  if (!match?.[1] || !match[2]) return undefined;
  return { verdict: match[1] as Verdict, sha: match[2] };
}
