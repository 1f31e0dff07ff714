import type { EpicState, TaskState } from '../db/schema.js';
import type { StateLabelKey } from './labels.js';

/** The visible GitHub form of each stored state (PRODUCT.md §3). Null: no state label. */
export function epicStateLabel(state: EpicState): StateLabelKey | null {
  switch (state) {
    case 'PLANNING':
      return 'planning';
    case 'IN_PROGRESS':
      return 'inProgress';
    case 'BLOCKED':
      return 'blocked';
    case 'COMPLETED':
      return 'done';
    case 'CANCELLED':
      return null;
  }
}

export function taskStateLabel(state: TaskState): StateLabelKey | null {
  switch (state) {
    case 'PENDING':
      return null;
    case 'ASSIGNED':
    case 'IN_PROGRESS':
      return 'inProgress';
    case 'REVIEW':
      return 'review';
    case 'BLOCKED':
    case 'FAILED':
      return 'blocked';
    case 'COMPLETED':
      return 'done';
  }
}
