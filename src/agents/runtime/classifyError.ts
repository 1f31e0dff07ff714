import type { AgentErrorKind } from './types.js';

/**
 * Why a run failed, and whether trying again later can help. The engine
 * reports API failures as an error code on its last assistant message
 * (`SDKAssistantMessageError`) and on its retry notices; the runner adds
 * its own causes (timeout, cancel, max turns, invalid output).
 */

export interface ClassifiedError {
  kind: AgentErrorKind;
  message: string;
  retryable: boolean;
}

const retryableKinds: ReadonlySet<AgentErrorKind> = new Set(['rate_limit', 'overloaded']);

/** Maps the engine's API error code to Factory's kinds. */
export function kindOfEngineError(code: string | undefined): AgentErrorKind {
  switch (code) {
    case 'rate_limit':
      return 'rate_limit';
    case 'overloaded':
    case 'server_error':
      return 'overloaded';
    case 'authentication_failed':
    case 'oauth_org_not_allowed':
    case 'account_on_hold':
    case 'verification_required':
    case 'billing_error':
    case 'cloud_credential_error':
      return 'authentication';
    case 'invalid_request':
    case 'model_not_found':
    case 'max_output_tokens':
      return 'invalid_request';
    default:
      return 'engine';
  }
}

export function classifyError(kind: AgentErrorKind, message: string): ClassifiedError {
  return {
    kind,
    message: message.trim() || describeKind(kind),
    retryable: retryableKinds.has(kind),
  };
}

/** When a result carries no message of its own. */
export function describeKind(kind: AgentErrorKind): string {
  switch (kind) {
    case 'rate_limit':
      return 'The model API is rate limiting this key; the run will be tried again later.';
    case 'overloaded':
      return 'The model API is overloaded; the run will be tried again later.';
    case 'authentication':
      return 'The model API refused the key (check ANTHROPIC_API_KEY).';
    case 'invalid_request':
      return 'The model API rejected the request as invalid.';
    case 'timeout':
      return 'The run took longer than its time limit.';
    case 'max_turns':
      return 'The run reached its maximum number of turns.';
    case 'cancelled':
      return 'The run was cancelled.';
    case 'invalid_output':
      return 'The agent did not return a valid result.';
    case 'sandbox':
      return 'The jail the agent runs in could not start.';
    case 'budget':
      return 'A budget was reached; the model proxy refused further requests.';
    case 'engine':
      return 'The Claude Code engine failed.';
  }
}

/** Backoff before retrying a retryable failure: exponential with jitter, capped. */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  maxMs = 10 * 60_000,
  random = Math.random,
): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
