import { describe, expect, it } from 'vitest';
import { agentStates, epicStates, taskStates } from '../../../src/db/schema.js';
import { agentStateMachine } from '../../../src/domain/agentStateMachine.js';
import { epicStateMachine } from '../../../src/domain/epicStateMachine.js';
import { IllegalTransitionError, type StateMachine } from '../../../src/domain/stateMachine.js';
import { taskStateMachine } from '../../../src/domain/taskStateMachine.js';

/**
 * The legal moves, written out independently of the machines' tables (from
 * PRODUCT.md §3 plus the documented additions). Every other pair — including
 * staying in the same state — must be refused with an IllegalTransitionError.
 */
const legal = {
  Epic: [
    'PLANNING>IN_PROGRESS',
    'PLANNING>BLOCKED',
    'PLANNING>CANCELLED',
    'IN_PROGRESS>COMPLETED',
    'IN_PROGRESS>BLOCKED',
    'IN_PROGRESS>PLANNING',
    'IN_PROGRESS>CANCELLED',
    'BLOCKED>IN_PROGRESS',
    'BLOCKED>PLANNING',
    'BLOCKED>CANCELLED',
    'CANCELLED>PLANNING',
  ],
  Task: [
    'PENDING>ASSIGNED',
    'PENDING>BLOCKED',
    'ASSIGNED>IN_PROGRESS',
    'ASSIGNED>PENDING',
    'ASSIGNED>BLOCKED',
    'ASSIGNED>FAILED',
    'IN_PROGRESS>REVIEW',
    'IN_PROGRESS>PENDING',
    'IN_PROGRESS>BLOCKED',
    'IN_PROGRESS>FAILED',
    'REVIEW>COMPLETED',
    'REVIEW>IN_PROGRESS',
    'REVIEW>BLOCKED',
    'REVIEW>FAILED',
    'BLOCKED>FAILED',
    'BLOCKED>PENDING',
    'BLOCKED>ASSIGNED',
    'BLOCKED>IN_PROGRESS',
    'BLOCKED>REVIEW',
    'FAILED>PENDING',
  ],
  Agent: [
    'IDLE>BUSY',
    'IDLE>FAILED',
    'BUSY>IDLE',
    'BUSY>WAITING',
    'BUSY>FAILED',
    'WAITING>BUSY',
    'WAITING>IDLE',
    'WAITING>FAILED',
  ],
};

function everyPair<S extends string>(states: readonly S[]): [S, S][] {
  return states.flatMap((from) => states.map((to): [S, S] => [from, to]));
}

function checkEveryPair<S extends string>(
  machine: StateMachine<S>,
  states: readonly S[],
  moves: string[],
) {
  it('knows exactly the stored states', () => {
    expect([...machine.states].sort()).toEqual([...states].sort());
  });
  it.each(everyPair(states))(`%s → %s`, (from, to) => {
    const allowed = moves.includes(`${from}>${to}`);
    expect(machine.canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(machine.transition(from, to)).toBe(to);
    } else {
      const attempt = () => machine.transition(from, to);
      expect(attempt).toThrow(IllegalTransitionError);
      expect(attempt).toThrow(`${machine.entity} cannot move from ${from} to ${to}`);
    }
  });
}

describe('epic state machine', () => checkEveryPair(epicStateMachine, epicStates, legal.Epic));
describe('task state machine', () => checkEveryPair(taskStateMachine, taskStates, legal.Task));
describe('agent state machine', () => checkEveryPair(agentStateMachine, agentStates, legal.Agent));

describe('IllegalTransitionError', () => {
  it('names the entity and the refused move', () => {
    try {
      taskStateMachine.transition('COMPLETED', 'PENDING');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(IllegalTransitionError);
      const illegal = error as IllegalTransitionError;
      expect([illegal.entity, illegal.from, illegal.to]).toEqual(['Task', 'COMPLETED', 'PENDING']);
    }
  });
});
