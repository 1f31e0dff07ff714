import type { FactoryDeps } from '../deps.js';
import type { JobPayload } from '../queues/jobs.js';
import { decideCommand, type CommandAction } from './commandDecision.js';
import { answerFor, carryOut } from './commandActions.js';
import { commandHelp, parseComment, type CommandName } from './commands.js';
import { deliverMessage, replyKeyOf, replyRoute } from './conversation.js';
import { addressMail, findMailByComment, findMailByDedupeKey, markMailRead } from './mailbox.js';
import { epicOf, taskOf, type CommentInHand, type MailOptions } from './mailContext.js';
import { findCommentPlace } from './place.js';
import { routeComment } from './routing.js';
import { postMail, recordMail, sendMail } from './sendMail.js';
import { mayCommand } from './speakers.js';
import { describeEpicStatus, describeTaskStatus, loadEpicStatus, loadTaskCost } from './status.js';
import { findAgent } from '../db/agents.js';
import { openEscalationCount } from '../agents/orchestrator/escalation/escalate.js';

/**
 * The `handle-comment` job: a comment addressed to Factory, recorded by intake.
 * Checks who spoke (write access, looked up and cached), then answers a
 * command, refuses a stranger once, or hands free text to the agent. Every
 * answer is keyed by the comment, so a retried job never posts twice.
 */
export async function handleComment(
  deps: FactoryDeps,
  options: MailOptions,
  payload: JobPayload<'handle-comment'>,
  retried: boolean,
): Promise<string> {
  const log = deps.log.child({
    job: 'handle-comment',
    comment: payload.commentId,
    issue: payload.issueNumber,
  });
  const mail = await findMailByComment(deps.db, payload.commentId);
  if (!mail?.fromHuman) {
    log.warn('no recorded mail for this comment; nothing to do');
    return 'no-mail';
  }
  const recipient = routeComment(
    await findCommentPlace(deps.db, payload.repoId, payload.issueNumber),
  );
  if (recipient.kind === 'nobody') {
    await markMailRead(deps.db, mail.id);
    return 'not-factory';
  }
  const comment: CommentInHand = {
    deps,
    options,
    payload,
    mail,
    speaker: mail.fromHuman,
    recipient,
    retried,
    thread: {
      owner: payload.owner,
      repo: payload.repo,
      issueNumber: payload.issueNumber,
      reviewCommentId: payload.commentKind === 'review-comment' ? payload.commentId : undefined,
    },
  };
  const octokit = await deps.github.forInstallation(payload.installationId);
  const role = await options.permissions.roleOf(
    octokit,
    { owner: payload.owner, repo: payload.repo },
    mail.fromHuman,
  );
  if (!mayCommand(role)) {
    await refuseOutsider(comment);
    log.info(
      { speaker: mail.fromHuman, role },
      'comment from someone without write access refused',
    );
    return 'refused-outsider';
  }
  const parsed = parseComment(mail.body, await deps.github.botLogin());
  if (parsed.kind === 'message') {
    await deliverMessage(comment, parsed.text);
    return 'message';
  }
  await forFactory(comment);
  if (parsed.kind === 'unknown-command') {
    const named = parsed.word
      ? `\`/factory ${parsed.word}\` is not a command I know.`
      : 'Which command?';
    await answerOnce(comment, 'unknown', `${named} I understand:\n\n${commandHelp}`);
    return 'unknown-command';
  }
  return runCommand(comment, parsed.command);
}

async function runCommand(comment: CommentInHand, command: CommandName): Promise<string> {
  const { deps } = comment;
  const key = replyKeyOf(comment);
  const prior = await findMailByDedupeKey(deps.db, key);
  if (prior) {
    // Decided before this retry: carry the same decision through, then make sure it was said.
    const action = recordedAction(prior.subject, comment);
    if (action) await carryOut(comment, action);
    await postMail(deps, replyRoute(comment), prior, { searchFirst: true });
    return `command-${command}`;
  }
  const openEscalations =
    comment.recipient.kind === 'supervisor'
      ? await openEscalationCount(deps.db, comment.recipient.epic.id)
      : 0;
  const decision = decideCommand(command, comment.recipient, { openEscalations });
  if ('refuse' in decision) {
    await answerOnce(comment, 'refused', decision.refuse, command);
    return `refused-${command}`;
  }
  const action = decision.act;
  const text =
    action.kind === 'status' ? await statusText(comment) : answerFor(action, comment.speaker);
  const { mail } = await recordMail(deps, {
    ...replyRoute(comment),
    ...factoryToHumans(comment),
    subject: `/factory ${command} → ${action.kind}`,
    body: `@${comment.speaker} ${text}`,
  });
  await carryOut(comment, action);
  await postMail(deps, replyRoute(comment), mail, { searchFirst: false });
  return `command-${command}`;
}

function recordedAction(subject: string, comment: CommentInHand): CommandAction | undefined {
  const kind = subject.split(' → ')[1];
  const epic = epicOf(comment);
  const task = taskOf(comment);
  switch (kind) {
    case 'approve-plan':
    case 'cancel-epic':
    case 'pause-epic':
    case 'resume-epic':
    case 'replan-epic':
      return { kind, epic };
    case 'retry-task':
    case 'cancel-task':
      return task ? { kind, task } : undefined;
    default:
      return undefined;
  }
}

async function statusText(comment: CommentInHand): Promise<string> {
  const { deps, recipient } = comment;
  if (recipient.kind === 'supervisor') {
    return describeEpicStatus(await loadEpicStatus(deps.db, recipient.epic));
  }
  const worker = recipient.task.assignedAgentId
    ? await findAgent(deps.db, recipient.task.assignedAgentId)
    : undefined;
  const cost = await loadTaskCost(deps.db, recipient.task.id);
  return describeTaskStatus({ ...recipient, worker, cost });
}

/** A command is for Factory itself, not mail an agent should read. */
async function forFactory(comment: CommentInHand) {
  await markMailRead(comment.deps.db, comment.mail.id);
  await addressMail(comment.deps.db, comment.mail.id, {
    epicId: epicOf(comment).id,
    taskId: taskOf(comment)?.id ?? null,
  });
}

async function answerOnce(comment: CommentInHand, kind: string, text: string, command?: string) {
  await sendMail(comment.deps, {
    ...replyRoute(comment),
    ...factoryToHumans(comment),
    subject: `${command ? `/factory ${command}` : 'comment'} → ${kind}`,
    body: `@${comment.speaker} ${text}`,
  });
}

/**
 * Someone without write access: one polite reply per person and issue, ever,
 * and nothing else — no agent sees the text as an instruction.
 */
async function refuseOutsider(comment: CommentInHand) {
  const { deps, payload, speaker } = comment;
  await markMailRead(deps.db, comment.mail.id);
  await addressMail(deps.db, comment.mail.id, {
    epicId: epicOf(comment).id,
    taskId: taskOf(comment)?.id ?? null,
  });
  await sendMail(deps, {
    installationId: payload.installationId,
    thread: comment.thread,
    dedupeKey: `outsider-${payload.repoId}-${payload.issueNumber}-${speaker.toLowerCase()}`,
    ...factoryToHumans(comment),
    subject: 'Not acted on: no write access',
    body:
      `@${speaker} thank you for your comment. Factory's agents take instructions only from people with write access to this repository, ` +
      'so I have not acted on it. A maintainer can pick it up if it should be done.',
  });
}

function factoryToHumans(comment: CommentInHand) {
  return {
    from: { factory: true as const },
    to: { humans: true as const },
    epicId: epicOf(comment).id,
    taskId: taskOf(comment)?.id ?? null,
  };
}
