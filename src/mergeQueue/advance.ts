import { eq } from 'drizzle-orm';
import { loadRepoConfig } from '../config/loadRepoConfig.js';
import type { GitHubClients } from '../deps.js';
import { epics, type Epic } from '../db/schema.js';
import { finishedEpicStates } from '../domain/epicStateMachine.js';
import { jobIds, type JobPayload } from '../queues/jobs.js';
import type { LeaseHolder } from '../domain/lease.js';
import { leaseHolderOf } from '../queues/processIdentity.js';
import { epicQueue, noteStep, type QueuedPr } from './entries.js';
import { underEntryLease } from './entryLease.js';
import { nextStep, type NextStep } from './nextStep.js';
import { readHeadFacts } from './readHeadFacts.js';
import { speculateStep } from './speculate.js';
import { wakeAfter, type MergeQueueDeps, type StepContext } from './steps/context.js';
import { blockClosed, failTask, removeEntry } from './steps/leave.js';
import {
  completeEpicWhenDone,
  mergeHead,
  noteMergeFoundDone,
  recordMerged,
} from './steps/merge.js';
import { reviewHead } from './steps/review.js';
import { reenterReopenedPr } from './steps/reenter.js';
import { sendBack } from './steps/sendBack.js';
import { speculateNext } from './steps/speculateNext.js';
import { dropSpeculation, updateBranch } from './steps/update.js';
import { waitFor } from './steps/wait.js';

/**
 * The `advance-merge-queue` job: take the epic's head PR, read its facts, ask
 * `nextStep`, perform that one step, and let the step wake the queue again
 * when it changed something. Every step is safe to repeat.
 */

export type AdvanceDeps = MergeQueueDeps & { github: GitHubClients };

export interface AdvanceOutcome {
  /** The step taken, or why there was nothing to do. */
  step: NextStep['kind'] | 'empty' | 'epic-finished' | 'busy';
  prNumber?: number;
}

export async function advanceMergeQueue(
  deps: AdvanceDeps,
  payload: JobPayload<'advance-merge-queue'>,
  holder: LeaseHolder = leaseHolderOf(),
): Promise<AdvanceOutcome> {
  const [epic] = await deps.db.select().from(epics).where(eq(epics.id, payload.epicId));
  if (!epic || finishedEpicStates.includes(epic.state)) return { step: 'epic-finished' };
  if (payload.reopened !== undefined) await reenter(deps, payload, epic, payload.reopened);
  const queue = await epicQueue(deps.db, epic.id);
  if (!queue.head) {
    // The look that recorded the last merge may have died before it asked for the epic's
    // completion (a crash mid-record): nothing else would ever ask again.
    if (queue.ordered.length === 0) await completeEpicWhenDone(deps, epic.id, targetOf(payload));
    return { step: 'empty' };
  }

  const ctx = await readQueued(deps, payload, epic, queue.head, holder);
  const step = nextStep(ctx.read.facts);
  deps.log.info(
    { epic: epic.id, pr: ctx.entry.prNumber, step: step.kind, reason: step.reason },
    'merge queue step',
  );
  await noteStep(deps.db, ctx.entry.id, step);
  // Before the step: the head's own review or update can take a while.
  await reviewAhead(deps, payload, queue.ordered.slice(1));
  const performed = await perform(ctx, step);
  const next = queue.ordered[1];
  if (next) await speculate(deps, payload, ctx, step, next);
  return { step: performed ? step.kind : 'busy', prNumber: ctx.entry.prNumber };
}

/** While the head's checks run, the next PR is built on it so its checks run too (speculate.ts). */
async function speculate(
  deps: AdvanceDeps,
  payload: JobPayload<'advance-merge-queue'>,
  head: StepContext,
  headStep: NextStep,
  next: QueuedPr,
): Promise<void> {
  // Cheap answers first: reading the next PR costs API calls and a fetch.
  if (headStep.kind !== 'wait' || headStep.for !== 'checks') return;
  if (!head.config.mergeQueue.speculate || next.task.state !== 'REVIEW') return;
  const ctx = await readQueued(deps, payload, head.epic, next, head.holder);
  const step = speculateStep({
    ahead: { headSha: head.read.headSha, step: headStep },
    next: ctx.read.facts,
  });
  if (step.kind === 'skip') return;
  const outcome = await speculateNext(ctx, step);
  deps.log.info(
    { epic: head.epic.id, pr: next.entry.prNumber, on: step.onSha, outcome },
    'merge queue speculation',
  );
}

function targetOf(
  payload: Pick<JobPayload<'advance-merge-queue'>, 'installationId' | 'owner' | 'repo'>,
) {
  return { installationId: payload.installationId, owner: payload.owner, repo: payload.repo };
}

/** The installation's client, the repository and its config, as every step needs them. */
async function repoAccess(
  deps: AdvanceDeps,
  payload: Pick<JobPayload<'advance-merge-queue'>, 'installationId' | 'owner' | 'repo'>,
) {
  const octokit = await deps.github.forInstallation(payload.installationId);
  const target = {
    installationId: payload.installationId,
    owner: payload.owner,
    repo: payload.repo,
  };
  const { config } = await loadRepoConfig(octokit, target);
  return { octokit, target, config };
}

/** Reads a queued PR's facts (the head's, or one waiting behind it) into the context its steps run in. */
export async function readQueued(
  deps: AdvanceDeps,
  payload: Pick<JobPayload<'advance-merge-queue'>, 'installationId' | 'owner' | 'repo' | 'poll'>,
  epic: Epic,
  queued: QueuedPr,
  holder: LeaseHolder,
): Promise<StepContext> {
  const { octokit, target, config } = await repoAccess(deps, payload);
  const base = {
    deps,
    octokit,
    target,
    botLogin: await deps.github.botLogin(),
    epic,
    entry: queued.entry,
    task: queued.task,
    config,
  };
  const read = await readHeadFacts({
    ...base,
    git: deps.git,
    now: new Date(),
    noChecksGraceMs: deps.options.noChecksGraceMs,
  });
  return { ...base, read, poll: payload.poll ?? 0, holder };
}

/**
 * Asks for reviews of the next PRs behind the head, so the supervisor's review
 * runs while the PRs ahead are checked and merged rather than after. One job
 * per PR head commit; each decides for itself whether a review is still needed.
 */
async function reviewAhead(
  deps: AdvanceDeps,
  payload: JobPayload<'advance-merge-queue'>,
  behind: QueuedPr[],
): Promise<void> {
  const next = behind
    .filter((queued) => queued.task.state === 'REVIEW' && queued.task.headSha)
    .slice(0, deps.options.reviewAhead);
  for (const { entry, task } of next) {
    await deps.queues.enqueue(
      'review-ahead',
      {
        epicId: payload.epicId,
        entryId: entry.id,
        installationId: payload.installationId,
        owner: payload.owner,
        repo: payload.repo,
      },
      { jobId: jobIds.forEntity('review-ahead', entry.id, task.headSha ?? '') },
    );
  }
}

/** A person reopened a PR of this epic: its blocked task re-enters the queue before the head is looked at. */
async function reenter(
  deps: AdvanceDeps,
  payload: JobPayload<'advance-merge-queue'>,
  epic: Epic,
  prNumber: number,
): Promise<void> {
  const { octokit, target, config } = await repoAccess(deps, payload);
  const outcome = await reenterReopenedPr({ deps, octokit, target, epic, config, prNumber });
  deps.log.info({ epic: epic.id, pr: prNumber, ...outcome }, 'reopened pull request');
}

/** Long steps hold the entry's lease so a second job does not run them at the same time. */
async function perform(ctx: StepContext, step: NextStep): Promise<boolean> {
  if (step.kind !== 'review' && step.kind !== 'update-branch' && step.kind !== 'drop-speculation') {
    await performShort(ctx, step);
    return true;
  }
  const key = `${step.kind}-${ctx.read.headSha}`;
  const outcome = await underEntryLease(ctx, key, async () => {
    if (step.kind === 'review') await reviewHead(ctx, step);
    else if (step.kind === 'drop-speculation') await dropSpeculation(ctx, step);
    else await updateBranch(ctx, step);
  });
  if (!outcome.held) {
    // Someone else is at it; look again once its lease could have lapsed (it is short).
    const at = Math.ceil((Date.now() + outcome.retryInMs) / 1000);
    ctx.deps.log.info(
      { epic: ctx.epic.id, pr: ctx.entry.prNumber, step: key, reason: outcome.reason },
      'merge queue step busy',
    );
    await wakeAfter(ctx, ['lease', ctx.entry.id, key, at], outcome.retryInMs);
    return false;
  }
  return true;
}

async function performShort(ctx: StepContext, step: NextStep): Promise<void> {
  switch (step.kind) {
    case 'record-merged':
      if (step.by === 'app') await noteMergeFoundDone(ctx, step.sha);
      await recordMerged(ctx, { sha: step.sha, by: step.mergedBy ?? step.by, reason: step.reason });
      return;
    case 'block-closed':
      return blockClosed(ctx, step);
    case 'remove':
      return removeEntry(ctx, step);
    case 'fail':
      return failTask(ctx, step);
    case 'wait':
      return waitFor(ctx, step);
    case 'send-back':
      return sendBack(ctx, step);
    case 'merge':
      return mergeHead(ctx, step);
    case 'review':
    case 'update-branch':
    case 'drop-speculation':
      throw new Error(`${step.kind} is a long step`);
  }
}
