import type { TaskState } from '../db/schema.js';
import { defineStateMachine } from './stateMachine.js';

/**
 * PRODUCT.md §3: PENDING → ASSIGNED → IN_PROGRESS → REVIEW → COMPLETED, and
 * ASSIGNED | IN_PROGRESS | REVIEW → BLOCKED → FAILED or back when unblocked.
 * The other moves exist because the flow needs them:
 * - REVIEW → IN_PROGRESS: changes requested, failing checks or a conflict send
 *   the PR back to its worker;
 * - ASSIGNED | IN_PROGRESS → PENDING: an attempt that crashed or failed is
 *   re-queued (attempts counts them);
 * - ASSIGNED | IN_PROGRESS | REVIEW → FAILED: attempts exhausted, with the reason;
 * - PENDING → BLOCKED: a task whose dependency failed, or a cancelled epic;
 * - FAILED → PENDING: `/factory retry`.
 */
export const taskStateMachine = defineStateMachine<TaskState>('Task', {
  PENDING: ['ASSIGNED', 'BLOCKED'],
  ASSIGNED: ['IN_PROGRESS', 'PENDING', 'BLOCKED', 'FAILED'],
  IN_PROGRESS: ['REVIEW', 'PENDING', 'BLOCKED', 'FAILED'],
  REVIEW: ['COMPLETED', 'IN_PROGRESS', 'BLOCKED', 'FAILED'],
  BLOCKED: ['FAILED', 'PENDING', 'ASSIGNED', 'IN_PROGRESS', 'REVIEW'],
  FAILED: ['PENDING'],
  COMPLETED: [],
});

export const activeTaskStates: readonly TaskState[] = ['ASSIGNED', 'IN_PROGRESS', 'REVIEW'];
export const finishedTaskStates: readonly TaskState[] = ['COMPLETED', 'FAILED'];
