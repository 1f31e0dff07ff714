import type { ProbotOctokit } from 'probot';
import { commentMarker, markedBody } from '../github/comments.js';

/**
 * Where a conversation happens on GitHub, and how Factory posts into it
 * "ensure"-style: every message carries a hidden key, so a retried job finds
 * the comment it already posted instead of posting a second one.
 */

export interface Thread {
  owner: string;
  repo: string;
  /** The issue or pull request number. */
  issueNumber: number;
  /** When set, answer as a reply in this review comment's thread (a line comment on a PR). */
  reviewCommentId?: number;
}

export interface PostedComment {
  id: number;
  url: string;
}

/** GitHub refuses bodies over 65,536 characters. */
const maxBody = 60_000;

/** Mail keys live under `mail:` among the keys of Factory's other marked comments. */
export function mailMarker(key: string): string {
  return commentMarker(`mail:${key}`);
}

export function commentBody(text: string, key: string): string {
  const trimmed =
    text.length > maxBody ? `${text.slice(0, maxBody)}\n\n… (cut: too long for a comment)` : text;
  return markedBody(`mail:${key}`, trimmed);
}

/**
 * Posts `text` into the thread unless a comment of the bot with this key is
 * already there. `searchFirst` is false when the caller knows nothing was
 * posted yet (the record of the message was just created), saving the search.
 */
export async function ensureThreadComment(
  octokit: ProbotOctokit,
  thread: Thread,
  message: { key: string; text: string; botLogin: string; searchFirst: boolean },
): Promise<PostedComment> {
  if (message.searchFirst) {
    const found = await findKeyedComment(octokit, thread, message.key, message.botLogin);
    if (found) return found;
  }
  const body = commentBody(message.text, message.key);
  const repo = { owner: thread.owner, repo: thread.repo };
  if (thread.reviewCommentId !== undefined) {
    const { data } = await octokit.rest.pulls.createReplyForReviewComment({
      ...repo,
      pull_number: thread.issueNumber,
      comment_id: thread.reviewCommentId,
      body,
    });
    return { id: data.id, url: data.html_url };
  }
  const { data } = await octokit.rest.issues.createComment({
    ...repo,
    issue_number: thread.issueNumber,
    body,
  });
  return { id: data.id, url: data.html_url };
}

async function findKeyedComment(
  octokit: ProbotOctokit,
  thread: Thread,
  key: string,
  botLogin: string,
): Promise<PostedComment | undefined> {
  const marker = mailMarker(key);
  const repo = { owner: thread.owner, repo: thread.repo };
  // Only the bot's own comments count: anyone could paste a marker to silence it.
  const isOurs = (c: { body?: string | null; user?: { login: string } | null }) =>
    c.user?.login === botLogin && (c.body ?? '').includes(marker);
  const comments =
    thread.reviewCommentId !== undefined
      ? await octokit.paginate(octokit.rest.pulls.listReviewComments, {
          ...repo,
          pull_number: thread.issueNumber,
          per_page: 100,
        })
      : await octokit.paginate(octokit.rest.issues.listComments, {
          ...repo,
          issue_number: thread.issueNumber,
          per_page: 100,
        });
  const found = comments.find(isOurs);
  return found ? { id: found.id, url: found.html_url } : undefined;
}
