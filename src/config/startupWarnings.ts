import type { Env } from './env.js';

/**
 * What an operator must know at start-up that does not stop the app: said
 * once in the log when the process starts, and (for the status page's own
 * process) above every page.
 */
export function modelWarning(
  env: Pick<Env, 'ANTHROPIC_API_KEY' | 'ANTHROPIC_BASE_URL' | 'FACTORY_ROLE'>,
): string | undefined {
  // A web process runs no agent; its workers may well have the key.
  if (env.FACTORY_ROLE === 'web') return undefined;
  if (env.ANTHROPIC_API_KEY !== undefined || env.ANTHROPIC_BASE_URL !== undefined) return undefined;
  return 'No model key: ANTHROPIC_API_KEY is not set (nor ANTHROPIC_BASE_URL), so every agent run will fail. Set it and restart.';
}
