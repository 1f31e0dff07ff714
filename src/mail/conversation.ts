import type { AgentRunRequest, AgentRunResult } from '../agents/runtime/types.js';
import { findAgent, listAgents, releaseAgentJob, updateAgent } from '../db/agents.js';
import type { Database } from '../db/connection.js';
import type { Agent } from '../db/schema.js';
import { jobIds } from '../queues/jobs.js';
import { answerMailTool, mailForAgent } from './agentMail.js';
import { questionTools, type QuestionTools } from './askHuman.js';
import { messageForAgent } from './framing.js';
import { answerPrompts } from './mailPrompts.js';
import {
  addressMail,
  findMailByDedupeKey,
  markMailRead,
  takeUnreadMail,
  unmarkMailRead,
} from './mailbox.js';
import { epicOf, taskOf, type CommentInHand } from './mailContext.js';
import { postMail, sendMail } from './sendMail.js';
import { describeEpicStatus, describeTaskStatus, loadEpicStatus, loadTaskCost } from './status.js';

/**
 * Free text to an agent. A waiting or idle agent is run at once with the
 * message — resuming its session where it has one — and its answer is posted
 * in the thread. A busy agent receives it at its next turn (`takeUnreadMail`),
 * and the person is told so. With no agent yet, the message waits for the one
 * that will start.
 */
export async function deliverMessage(comment: CommentInHand, text: string): Promise<void> {
  const { deps, mail, recipient } = comment;
  const agent = await recipientAgent(deps.db, recipient);
  await addressMail(deps.db, mail.id, {
    epicId: epicOf(comment).id,
    taskId: taskOf(comment)?.id ?? null,
    toAgentId: agent?.id ?? null,
  });
  const replyKey = replyKeyOf(comment);
  const prior = await findMailByDedupeKey(deps.db, replyKey);
  if (prior) {
    await postMail(deps, replyRoute(comment), prior, { searchFirst: true });
    return;
  }
  if (!agent) return acknowledge(comment, noAgentYet(comment));
  if (agent.state === 'BUSY') return acknowledge(comment, busy(comment));
  const claimed = (await markMailRead(deps.db, mail.id)) || comment.retried;
  if (!claimed) return; // another job delivered it
  await answerWith(comment, agent, text);
}

/**
 * While it answers, the agent names this comment's job as its current job: the
 * health check judges a BUSY agent by that job, and the one it named before
 * (e.g. the finished implement-task of a worker that asked a question) would
 * make it look dead.
 */
async function answerWith(comment: CommentInHand, agent: Agent, text: string) {
  const { payload } = comment;
  const jobId = jobIds.forEntity('handle-comment', payload.commentKind, payload.commentId);
  await updateAgent(comment.deps.db, agent.id, { currentJobId: jobId });
  try {
    await runAnswer(comment, agent, text);
  } finally {
    await releaseAgentJob(comment.deps.db, agent.id, jobId);
  }
}

async function runAnswer(comment: CommentInHand, agent: Agent, text: string) {
  const { deps, options, mail, recipient, speaker } = comment;
  const epic = epicOf(comment);
  const task = taskOf(comment);
  const sessionDir = agent.sessionId ? await options.sessionDirOf(agent, recipient) : undefined;
  const message = messageForAgent({
    author: speaker,
    trusted: true,
    body: text || '(no text beyond the mention)',
    where: task ? `task #${task.issueNumber}` : `epic #${epic.issueNumber}`,
  });
  const prompts = await answerPrompts({
    role: agent.kind,
    message,
    checkout: sessionDir,
    about: sessionDir ? undefined : await aboutFor(comment),
  });
  const questions = questionTools(deps, {
    agentId: agent.id,
    role: agent.kind,
    installationId: comment.payload.installationId,
    thread: comment.thread,
    epicId: epic.id,
    taskId: task?.id,
  });
  const wasWaiting = agent.state === 'WAITING';
  const request: AgentRunRequest & { afterSuccess: () => 'IDLE' | 'WAITING' } = {
    role: agent.kind,
    agentId: agent.id,
    purpose: 'answer',
    cwd: sessionDir ?? (await options.scratchDir(agent)),
    systemPrompt: prompts.systemPrompt,
    prompt: prompts.prompt,
    model: modelFor(comment, agent),
    tools: questions.tools,
    afterSuccess: questions.afterSuccess,
    resumeSessionId: sessionDir ? (agent.sessionId ?? undefined) : undefined,
    maxTurns: deps.env.AGENT_MAX_TURNS,
    timeoutMs: deps.env.AGENT_TIMEOUT_SECONDS * 1000,
    context: { installationId: comment.payload.installationId, epicId: epic.id, taskId: task?.id },
  };
  let answer: string;
  let sessionId: string | undefined;
  try {
    const result = await deps.agents.run(request);
    if (questions.asked()) return; // the question it posted is its answer for now
    if (result.status === 'succeeded') sessionId = result.sessionId;
    answer =
      result.status === 'succeeded'
        ? result.text.trim() || '(The agent finished without a written answer.)'
        : `I could not answer this time: ${result.error?.message ?? result.status}. Your message is kept in the record; try again later.`;
  } catch (error) {
    if (!isAgentBusyError(error)) throw error;
    // It started working between our look and our run: it reads the message at its next turn.
    await unmarkMailRead(deps.db, mail.id);
    return acknowledge(comment, busy(comment));
  }
  await sendMail(deps, {
    ...replyRoute(comment),
    subject: `Re: ${mail.subject}`,
    body: `@${speaker} ${answer}`,
    from: { agentId: agent.id },
    to: { humans: true },
    epicId: epic.id,
    taskId: task?.id ?? null,
  });
  await readMailMeanwhile(comment, request, questions, sessionId);
  if (questions.asked()) return;
  if (wasWaiting && task && agent.kind === 'worker') await continueTask(comment, agent);
}

/** People writing faster than this many turns get the rest at the agent's next run. */
const maxMailTurns = 3;

/**
 * Messages that reached the agent while it answered (it was BUSY, so their
 * authors were told it reads them at its next turn): its next turns, in the
 * same session, where it answers them with answer_mail.
 */
async function readMailMeanwhile(
  comment: CommentInHand,
  request: AgentRunRequest,
  questions: QuestionTools,
  sessionId: string | undefined,
) {
  const { deps, payload } = comment;
  const answerMail = answerMailTool(deps, {
    agentId: request.agentId,
    installationId: payload.installationId,
    owner: payload.owner,
    repo: payload.repo,
  });
  let session = sessionId;
  for (let turn = 0; turn < maxMailTurns && session && !questions.asked(); turn += 1) {
    const messages = await takeUnreadMail(deps.db, request.agentId);
    if (messages.length === 0) return;
    let result: AgentRunResult;
    try {
      result = await deps.agents.run({
        ...request,
        prompt: mailForAgent(messages),
        resumeSessionId: session,
        tools: [...(request.tools ?? []), answerMail],
      });
    } catch (error) {
      if (!isAgentBusyError(error)) throw error;
      // Another job started it meanwhile: that run's next turn gets the messages.
      for (const message of messages) await unmarkMailRead(deps.db, message.id);
      return;
    }
    if (result.status !== 'succeeded') return;
    session = result.sessionId ?? session;
  }
}

/**
 * A worker that was waiting for an answer has now worked on with it; its task's
 * attempt carries on (checks, commit, push, pull request) in the worker's job.
 */
async function continueTask(comment: CommentInHand, agent: Agent) {
  const task = taskOf(comment);
  const after = await findAgent(comment.deps.db, agent.id);
  if (!task || after?.state !== 'IDLE') return;
  const { payload } = comment;
  await comment.deps.queues.enqueue(
    'implement-task',
    {
      taskId: task.id,
      installationId: payload.installationId,
      owner: payload.owner,
      repo: payload.repo,
      attempt: Math.max(task.attempts, 1),
      // The attempt carries on in the session that got the answer, not from the start.
      ...(after.sessionId ? { resumeSessionId: after.sessionId } : {}),
    },
    { jobId: jobIds.forEntity('implement-task', task.id, 'answered', payload.commentId) },
  );
}

async function aboutFor(comment: CommentInHand) {
  const { deps, recipient } = comment;
  if (recipient.kind === 'worker') {
    const worker = recipient.task.assignedAgentId
      ? await findAgent(deps.db, recipient.task.assignedAgentId)
      : undefined;
    const cost = await loadTaskCost(deps.db, recipient.task.id);
    const status = describeTaskStatus({ ...recipient, worker, cost });
    return { epic: recipient.epic, task: recipient.task, status };
  }
  const status = describeEpicStatus(await loadEpicStatus(deps.db, recipient.epic));
  return { epic: recipient.epic, status };
}

/** The agent a message is for: the task's worker, or the epic's supervisor (the latest that has not failed). */
export async function recipientAgent(
  db: Database,
  recipient: CommentInHand['recipient'],
): Promise<Agent | undefined> {
  if (recipient.kind === 'worker' && recipient.task.assignedAgentId) {
    const assigned = await findAgent(db, recipient.task.assignedAgentId);
    if (assigned && assigned.state !== 'FAILED') return assigned;
  }
  const candidates =
    recipient.kind === 'worker'
      ? await listAgents(db, { kind: 'worker', taskId: recipient.task.id })
      : await listAgents(db, { kind: 'supervisor', epicId: recipient.epic.id });
  return candidates.filter((agent) => agent.state !== 'FAILED').at(-1);
}

async function acknowledge(comment: CommentInHand, text: string) {
  await sendMail(comment.deps, {
    ...replyRoute(comment),
    subject: `Re: ${comment.mail.subject}`,
    body: `@${comment.speaker} ${text}`,
    from: { factory: true },
    to: { humans: true },
    epicId: epicOf(comment).id,
    taskId: taskOf(comment)?.id ?? null,
  });
}

function noAgentYet(comment: CommentInHand): string {
  return comment.recipient.kind === 'worker'
    ? `No worker is on task #${comment.recipient.task.issueNumber} right now. Your message is kept: the worker reads it when it starts.`
    : `The supervisor of epic #${comment.recipient.epic.issueNumber} is not running right now. Your message is kept: it reads it when it next works on the epic.`;
}

function busy(comment: CommentInHand): string {
  const who = comment.recipient.kind === 'worker' ? 'The worker' : 'The supervisor';
  return `${who} is busy right now; it reads your message at its next turn and answers here.`;
}

export function replyKeyOf(comment: Pick<CommentInHand, 'payload'>): string {
  return `reply-${comment.payload.commentKind}-${comment.payload.commentId}`;
}

export function replyRoute(comment: Pick<CommentInHand, 'payload' | 'thread'>) {
  return {
    installationId: comment.payload.installationId,
    thread: comment.thread,
    dedupeKey: replyKeyOf(comment),
  };
}

function modelFor(comment: CommentInHand, agent: Agent): string {
  const env = comment.deps.env;
  if (agent.kind === 'worker') return env.MODEL_WORKER;
  if (agent.kind === 'supervisor') return env.MODEL_SUPERVISOR;
  return env.MODEL_ORCHESTRATOR;
}

function isAgentBusyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AgentStateConflictError';
}
