import type { AgentState } from '../db/schema.js';
import { defineStateMachine } from './stateMachine.js';

/**
 * PRODUCT.md §3: IDLE ⇄ BUSY ⇄ WAITING, any → FAILED. FAILED is final: a
 * crashed agent is replaced by a new Agent row that resumes its session.
 * WAITING → IDLE lets a cancelled question end without pretending to fail.
 */
export const agentStateMachine = defineStateMachine<AgentState>('Agent', {
  IDLE: ['BUSY', 'FAILED'],
  BUSY: ['IDLE', 'WAITING', 'FAILED'],
  WAITING: ['BUSY', 'IDLE', 'FAILED'],
  FAILED: [],
});
