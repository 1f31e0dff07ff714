import type { GitHub, RepoRef } from './octokit.js';

export type ReactionContent =
  '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

export type ReactionTarget = { issueNumber: number } | { commentId: number };

/**
 * The bot's reaction is on the issue (or issue comment) once. Looks for the
 * bot's own reaction of that kind first, so a retry adds nothing.
 */
export async function ensureReaction(
  octokit: GitHub,
  target: RepoRef & ReactionTarget & { content: ReactionContent; botLogin: string },
): Promise<{ id: number; outcome: 'created' | 'unchanged' }> {
  const { owner, repo, content } = target;
  const existing =
    'issueNumber' in target
      ? await octokit.paginate(octokit.rest.reactions.listForIssue, {
          owner,
          repo,
          issue_number: target.issueNumber,
          content,
          per_page: 100,
        })
      : await octokit.paginate(octokit.rest.reactions.listForIssueComment, {
          owner,
          repo,
          comment_id: target.commentId,
          content,
          per_page: 100,
        });
  const mine = existing.find((reaction) => reaction.user?.login === target.botLogin);
  if (mine) return { id: mine.id, outcome: 'unchanged' };
  const { data } =
    'issueNumber' in target
      ? await octokit.rest.reactions.createForIssue({
          owner,
          repo,
          issue_number: target.issueNumber,
          content,
        })
      : await octokit.rest.reactions.createForIssueComment({
          owner,
          repo,
          comment_id: target.commentId,
          content,
        });
  return { id: data.id, outcome: 'created' };
}
