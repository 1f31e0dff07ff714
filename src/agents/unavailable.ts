import type { AgentRunner } from './runtime/types.js';

export class AgentRuntimeUnavailableError extends Error {
  override name = 'AgentRuntimeUnavailableError';
}

/**
 * Stands in for the agent runtime where none is wired (tests of other parts,
 * or a build without it): any attempt to run an agent fails loudly, so a job
 * that needs one ends visibly failed instead of pretending to work.
 */
export const unavailableAgentRunner: AgentRunner = {
  run() {
    return Promise.reject(new AgentRuntimeUnavailableError('agent runtime not available'));
  },
  runStructured() {
    return Promise.reject(new AgentRuntimeUnavailableError('agent runtime not available'));
  },
};
