import type { Epic, Task } from '../db/schema.js';
import { finishedEpicStates } from '../domain/epicStateMachine.js';
import { epicStateMachine } from '../domain/epicStateMachine.js';
import { commandPlaces, type CommandName } from './commands.js';
import type { Recipient } from './routing.js';

/**
 * What a command from a person allowed to give it does, given where it was said
 * and the current records. Pure: the caller carries the decision out (through
 * the records and the queues) and answers with `reply` either way.
 */

export type CommandAction =
  | { kind: 'status' }
  | { kind: 'approve-plan'; epic: Epic }
  | { kind: 'retry-task'; task: Task }
  | { kind: 'cancel-epic'; epic: Epic }
  | { kind: 'cancel-task'; task: Task }
  | { kind: 'pause-epic'; epic: Epic }
  | { kind: 'resume-epic'; epic: Epic }
  | { kind: 'replan-epic'; epic: Epic };

export type CommandDecision = { act: CommandAction } | { refuse: string };

/** What the decision needs beyond the records in the recipient. */
export interface CommandFacts {
  /** Escalations of the epic nobody has resolved yet (the orchestrator's "needs a person"). */
  openEscalations: number;
}

type Addressed = Exclude<Recipient, { kind: 'nobody' }>;

export function decideCommand(
  command: CommandName,
  recipient: Addressed,
  facts: CommandFacts = { openEscalations: 0 },
): CommandDecision {
  const place = recipient.kind === 'supervisor' ? 'epic' : 'task';
  if (!commandPlaces[command].includes(place)) return { refuse: wrongPlace(command, recipient) };
  if (command === 'status') return { act: { kind: 'status' } };
  return recipient.kind === 'supervisor'
    ? decideForEpic(command, recipient.epic, facts)
    : decideForTask(command, recipient.task);
}

function decideForEpic(command: CommandName, epic: Epic, facts: CommandFacts): CommandDecision {
  if (finishedEpicStates.includes(epic.state)) {
    return {
      refuse: `Epic #${epic.issueNumber} is already ${epic.state}; there is nothing to ${command}.`,
    };
  }
  switch (command) {
    case 'approve':
      if (epic.state !== 'PLANNING' || epic.planApprovedAt)
        return {
          refuse: `The plan of #${epic.issueNumber} is already approved${epic.planApprovedBy ? ` (by @${epic.planApprovedBy})` : ''}.`,
        };
      if (epic.plan === null || epic.plan === undefined)
        return {
          refuse: `There is no plan to approve yet: the supervisor is still planning #${epic.issueNumber}. Its plan will be posted here.`,
        };
      return { act: { kind: 'approve-plan', epic } };
    case 'cancel':
      return { act: { kind: 'cancel-epic', epic } };
    case 'pause':
      if (epic.pausedAt)
        return {
          refuse: `Epic #${epic.issueNumber} is already paused${epic.pausedReason ? ` (${epic.pausedReason})` : ''}.`,
        };
      return { act: { kind: 'pause-epic', epic } };
    case 'resume':
      // Resume is also how a person says "I looked": it unblocks a parked epic and resolves escalations.
      if (!epic.pausedAt && epic.state !== 'BLOCKED' && facts.openEscalations === 0)
        return { refuse: `Epic #${epic.issueNumber} is not paused or blocked.` };
      return { act: { kind: 'resume-epic', epic } };
    case 'replan':
      if (epic.state === 'PLANNING' && (epic.plan === null || epic.plan === undefined))
        return {
          refuse: `Epic #${epic.issueNumber} is being planned right now; its plan will be posted here.`,
        };
      if (epic.state !== 'PLANNING' && !epicStateMachine.canTransition(epic.state, 'PLANNING'))
        return {
          refuse: `Epic #${epic.issueNumber} is ${epic.state} and cannot be planned again.`,
        };
      return { act: { kind: 'replan-epic', epic } };
    default:
      return { refuse: `\`/factory ${command}\` does not apply to an epic.` };
  }
}

function decideForTask(command: CommandName, task: Task): CommandDecision {
  switch (command) {
    case 'retry':
      if (task.state !== 'FAILED' && task.state !== 'BLOCKED')
        return {
          refuse: `Task #${task.issueNumber} is ${task.state}; only a FAILED or BLOCKED task can be retried.`,
        };
      return { act: { kind: 'retry-task', task } };
    case 'cancel':
      if (task.state === 'COMPLETED' || task.state === 'FAILED' || task.state === 'BLOCKED')
        return {
          refuse: `Task #${task.issueNumber} is already ${task.state}; no worker is running for it.`,
        };
      return { act: { kind: 'cancel-task', task } };
    default:
      return { refuse: `\`/factory ${command}\` does not apply to a task.` };
  }
}

function wrongPlace(command: CommandName, recipient: Addressed): string {
  if (recipient.kind === 'worker') {
    return `\`/factory ${command}\` works on an epic, not on a task: comment it on epic #${recipient.epic.issueNumber}.`;
  }
  return `\`/factory ${command}\` works on a task: comment it on the task's issue or its pull request, not on epic #${recipient.epic.issueNumber}.`;
}
