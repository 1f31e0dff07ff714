import type { Mail } from '../db/schema.js';
import type { JobPayload } from '../queues/jobs.js';
import type { Thread } from './thread.js';

/**
 * An incoming comment's subject names where it was said ("Review comment on
 * #21"), which is also where an answer to it goes.
 */

type CommentKind = JobPayload<'handle-comment'>['commentKind'];

const kindWords: Record<CommentKind, string> = {
  issue: 'Comment',
  review: 'Review',
  'review-comment': 'Review comment',
};

export function subjectOf(kind: CommentKind, issueNumber: number): string {
  return `${kindWords[kind]} on #${issueNumber}`;
}

export function threadOfIncoming(
  message: Pick<Mail, 'subject' | 'githubCommentId'>,
  repo: { owner: string; repo: string },
): { kind: CommentKind; thread: Thread } | undefined {
  const match = /^(Comment|Review comment|Review) on #(\d+)$/.exec(message.subject);
  if (!match || message.githubCommentId === null) return undefined;
  const kind = (Object.keys(kindWords) as CommentKind[]).find((k) => kindWords[k] === match[1]);
  if (!kind) return undefined;
  return {
    kind,
    thread: {
      owner: repo.owner,
      repo: repo.repo,
      issueNumber: Number(match[2]),
      reviewCommentId: kind === 'review-comment' ? message.githubCommentId : undefined,
    },
  };
}
