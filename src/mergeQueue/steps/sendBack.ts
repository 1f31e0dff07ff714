import { and, eq, TransactionRollbackError } from 'drizzle-orm';
import { mail, mergeQueueEntries, tasks } from '../../db/schema.js';
import { taskStateMachine } from '../../domain/taskStateMachine.js';
import { jobIds } from '../../queues/jobs.js';
import type { NextStep, SendBackReason } from '../nextStep.js';
import { composeReworkMail } from './reworkMail.js';
import { logDecision, type StepContext } from './context.js';

/**
 * Gives the PR back to its worker for one round: the rework round and the
 * task's move to IN_PROGRESS are one guarded transaction (two processes can't
 * both start a round), the feedback goes to the task as mail, and the
 * `rework-task` job id is the round, so a retry never starts it twice.
 */
export async function sendBack(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'send-back' }>,
): Promise<void> {
  const { deps, entry, task } = ctx;
  const started = await deps.db
    .transaction(async (tx) => {
      const rounds = await tx
        .update(mergeQueueEntries)
        .set({
          reworkRounds: step.round,
          reworkReason: step.because,
          conflictOnBaseSha: null,
          // The worker's round starts from the branch as it is: nothing speculative to undo later.
          speculatedOnSha: null,
          speculatedFromSha: null,
        })
        .where(
          and(
            eq(mergeQueueEntries.id, entry.id),
            eq(mergeQueueEntries.reworkRounds, step.round - 1),
          ),
        )
        .returning({ id: mergeQueueEntries.id });
      if (rounds.length === 0) return false;
      taskStateMachine.transition('REVIEW', 'IN_PROGRESS');
      const moved = await tx
        .update(tasks)
        .set({ state: 'IN_PROGRESS' })
        .where(and(eq(tasks.id, task.id), eq(tasks.state, 'REVIEW')))
        .returning({ id: tasks.id });
      if (moved.length === 0) tx.rollback();
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof TransactionRollbackError) return false;
      throw error;
    });
  if (!started) return; // Another job started this round; it sends the feedback.

  const message = await composeReworkMail(ctx, step);
  await deps.db
    .insert(mail)
    .values({
      epicId: ctx.epic.id,
      taskId: task.id,
      toAgentId: task.assignedAgentId,
      subject: message.subject,
      body: message.body,
      dedupeKey: `merge-queue-rework-${task.id}-${step.round}`,
    })
    .onConflictDoNothing();
  await ensureReworkJob(ctx, step.because, step.round);
  await logDecision(ctx, `send-back: ${step.because}`, step.reason, {
    pr: entry.prNumber,
    round: step.round,
  });
}

/** Also called while waiting for the worker, so a crash between the transaction and the enqueue loses nothing. */
export async function ensureReworkJob(ctx: StepContext, because: SendBackReason, round: number) {
  await ctx.deps.queues.enqueue(
    'rework-task',
    {
      taskId: ctx.task.id,
      installationId: ctx.target.installationId,
      owner: ctx.target.owner,
      repo: ctx.target.repo,
      reason: because,
      round,
    },
    { jobId: jobIds.forEntity('rework-task', ctx.task.id, round) },
  );
}
