import type { Epic, Task } from '../db/schema.js';

/**
 * Who a comment is for. A comment on an epic goes to the epic's supervisor; a
 * comment on a task's issue or on its pull request (reviews and line comments
 * included) goes to the task's worker. Anything else is not Factory's business.
 */

export interface CommentPlace {
  /** The epic whose issue the comment is on. */
  epic?: Epic;
  /** The task whose issue or pull request the comment is on, with its epic. */
  task?: { task: Task; epic: Epic };
}

export type Recipient =
  | { kind: 'supervisor'; epic: Epic }
  | { kind: 'worker'; task: Task; epic: Epic }
  | { kind: 'nobody' };

export function routeComment(place: CommentPlace): Recipient {
  // An issue labelled as an epic is an epic even if someone also nested it under another one.
  if (place.epic) return { kind: 'supervisor', epic: place.epic };
  if (place.task) return { kind: 'worker', ...place.task };
  return { kind: 'nobody' };
}
