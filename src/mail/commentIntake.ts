import type { Context, Probot } from 'probot';
import type { FactoryDeps } from '../deps.js';
import { intake } from '../intake/intake.js';
import { jobIds, type JobPayload } from '../queues/jobs.js';
import { isAddressedToBot } from './addressing.js';
import { findMailByComment, recordIncomingComment } from './mailbox.js';
import { findCommentPlace } from './place.js';
import { routeComment } from './routing.js';
import { isBotSender } from './speakers.js';
import { subjectOf } from './subjects.js';

/**
 * Comments, reviews and review comments: the mail coming in. The handlers only
 * decide whether a comment is Factory's at all (addressed to the bot, on an
 * epic, task or bot PR, by a person, not already taken), record it as Mail and
 * enqueue `handle-comment`. Who may speak, and what happens, is decided in the job.
 */

type CommentKind = JobPayload<'handle-comment'>['commentKind'];

interface CommentFacts {
  kind: CommentKind;
  edited: boolean;
  installationId?: number;
  repo: { id: number; owner: string; name: string };
  issueNumber: number;
  comment: { id: number; body: string; url: string; author: { login: string; type?: string } };
}

export function registerCommentIntake(app: Probot, deps: FactoryDeps) {
  app.on(['issue_comment.created', 'issue_comment.edited'], (context) =>
    takeComment(deps, context, {
      kind: 'issue',
      edited: context.payload.action === 'edited',
      installationId: context.payload.installation?.id,
      repo: repoOf(context.payload.repository),
      issueNumber: context.payload.issue.number,
      comment: commentOf(context.payload.comment),
    }),
  );
  app.on('pull_request_review_comment.created', (context) =>
    takeComment(deps, context, {
      kind: 'review-comment',
      edited: false,
      installationId: context.payload.installation?.id,
      repo: repoOf(context.payload.repository),
      issueNumber: context.payload.pull_request.number,
      comment: commentOf(context.payload.comment),
    }),
  );
  app.on('pull_request_review.submitted', (context) =>
    // The merge queue takes the same delivery for the review's verdict; this
    // part is admitted under its own key so neither handler shadows the other.
    takeComment(deps, asPart(context, 'mail'), {
      kind: 'review',
      edited: false,
      installationId: context.payload.installation?.id,
      repo: repoOf(context.payload.repository),
      issueNumber: context.payload.pull_request.number,
      comment: commentOf(context.payload.review),
    }),
  );
}

async function takeComment(deps: FactoryDeps, context: Context, facts: CommentFacts) {
  await intake(deps, context, async () => {
    const botLogin = await deps.github.botLogin();
    if (isBotSender(facts.comment.author, botLogin)) return { ignored: 'written by a bot' };
    if (!facts.comment.body.trim()) return { ignored: 'no text' };
    if (!isAddressedToBot(facts.comment.body, botLogin)) {
      return { ignored: 'not addressed to Factory' };
    }
    if (facts.installationId === undefined) return { ignored: 'no installation' };
    const place = await findCommentPlace(deps.db, facts.repo.id, facts.issueNumber);
    if (routeComment(place).kind === 'nobody') {
      return { ignored: `#${facts.issueNumber} is not an epic, a task or a task's pull request` };
    }
    if (facts.edited && (await findMailByComment(deps.db, facts.comment.id))) {
      return { ignored: `comment ${facts.comment.id} was edited after Factory took it` };
    }
    await recordIncomingComment(deps.db, {
      commentId: facts.comment.id,
      commentUrl: facts.comment.url,
      fromHuman: facts.comment.author.login,
      subject: subjectOf(facts.kind, facts.issueNumber),
      body: facts.comment.body,
    });
    await deps.queues.enqueue(
      'handle-comment',
      {
        installationId: facts.installationId,
        owner: facts.repo.owner,
        repo: facts.repo.name,
        repoId: facts.repo.id,
        deliveryId: context.id,
        issueNumber: facts.issueNumber,
        commentId: facts.comment.id,
        commentKind: facts.kind,
      },
      // One job per comment, whatever deliveries (created, edited, redelivered) mention it.
      { jobId: jobIds.forEntity('handle-comment', facts.kind, facts.comment.id) },
    );
    return 'enqueued';
  });
}

function repoOf(repository: { id: number; name: string; owner: { login: string } }) {
  return { id: repository.id, owner: repository.owner.login, name: repository.name };
}

function commentOf(comment: {
  id: number;
  body?: string | null;
  html_url: string;
  user: { login: string; type?: string } | null;
}) {
  return {
    id: comment.id,
    body: comment.body ?? '',
    url: comment.html_url,
    author: { login: comment.user?.login ?? 'ghost', type: comment.user?.type },
  };
}

/** The same delivery under a key of its own, for the delivery guard. */
function asPart(context: Context, part: string): Context {
  return Object.create(context, { id: { value: `${context.id}:${part}` } }) as Context;
}
