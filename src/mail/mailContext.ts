import type { Agent } from '../db/schema.js';
import type { FactoryDeps } from '../deps.js';
import type { Mail } from '../db/schema.js';
import type { JobPayload } from '../queues/jobs.js';
import type { PermissionCache } from './permissionCache.js';
import type { Recipient } from './routing.js';
import type { Thread } from './thread.js';

/** What the mail jobs need beyond the app's deps: hooks into the parts that own the work. */
export interface MailOptions {
  permissions: PermissionCache;
  /** Stops an agent's running model session on whichever process runs it (the runtime's cancel signal). */
  cancelAgentRun(agentId: number, reason: string): Promise<void>;
  /** Starts the waiting tasks that may start now (the worker dispatcher), after a retry or a resume. */
  startWaitingTasks(): Promise<unknown>;
  /**
   * The directory an agent's session lives in, so it can be resumed there
   * (where its last run used it). Undefined: no session to resume; a fresh run answers.
   */
  sessionDirOf(
    agent: Agent,
    recipient: Exclude<Recipient, { kind: 'nobody' }>,
  ): Promise<string | undefined>;
  /** An empty directory for answering runs that have no session directory (created on demand). */
  scratchDir(agent: Agent): Promise<string>;
}

/** One comment being handled by `handle-comment`. */
export interface CommentInHand {
  deps: FactoryDeps;
  options: MailOptions;
  payload: JobPayload<'handle-comment'>;
  /** The incoming Mail row recorded by intake. */
  mail: Mail;
  speaker: string;
  recipient: Exclude<Recipient, { kind: 'nobody' }>;
  thread: Thread;
  /** The job ran before for this comment (and may have got part of the way). */
  retried: boolean;
}

export function epicOf(comment: CommentInHand) {
  return comment.recipient.epic;
}

export function taskOf(comment: CommentInHand) {
  return comment.recipient.kind === 'worker' ? comment.recipient.task : undefined;
}
