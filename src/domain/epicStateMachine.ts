import type { EpicState } from '../db/schema.js';
import { defineStateMachine } from './stateMachine.js';

/**
 * PRODUCT.md §3: PLANNING → IN_PROGRESS → COMPLETED, IN_PROGRESS ⇄ BLOCKED,
 * any unfinished state → CANCELLED. Two moves are added for commands the
 * product also specifies: `/factory replan` returns an epic to PLANNING, and a
 * plan that cannot be made (invalid model output twice, a failing job) blocks
 * the epic visibly instead of leaving it silently in PLANNING.
 */
export const epicStateMachine = defineStateMachine<EpicState>('Epic', {
  PLANNING: ['IN_PROGRESS', 'BLOCKED', 'CANCELLED'],
  IN_PROGRESS: ['COMPLETED', 'BLOCKED', 'PLANNING', 'CANCELLED'],
  BLOCKED: ['IN_PROGRESS', 'PLANNING', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: ['PLANNING'],
});

export const finishedEpicStates: readonly EpicState[] = ['COMPLETED', 'CANCELLED'];
