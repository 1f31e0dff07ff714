import type { NextStep } from '../nextStep.js';
import { ensureReworkJob } from './sendBack.js';
import { wakeAfter, type StepContext } from './context.js';
import type { SendBackReason } from '../nextStep.js';

/**
 * Waiting is mostly for an event (a check finishing, a review, the worker's
 * push), which wakes the queue through intake. Two things are not announced
 * by any event and are looked at again after a delay: GitHub computing
 * mergeability, and CI that never reports on a commit.
 */
export async function waitFor(
  ctx: StepContext,
  step: Extract<NextStep, { kind: 'wait' }>,
): Promise<void> {
  const { entry, task, deps } = ctx;
  if (
    step.for === 'worker' &&
    task.state === 'IN_PROGRESS' &&
    entry.reworkRounds > 0 &&
    entry.reworkReason
  ) {
    await ensureReworkJob(ctx, entry.reworkReason as SendBackReason, entry.reworkRounds);
    return;
  }
  if (!step.recheck || ctx.poll >= deps.options.maxPolls) return;
  const delayMs =
    step.for === 'mergeability'
      ? deps.options.pollMs
      : Math.max(deps.options.pollMs, deps.options.noChecksGraceMs / 4);
  await wakeAfter(
    ctx,
    ['poll', step.for, entry.id, ctx.read.headSha, ctx.poll + 1],
    delayMs,
    ctx.poll + 1,
  );
}
