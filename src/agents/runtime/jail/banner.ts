import type { Logger } from '../../../logger.js';
import { createJail, type JailMode } from './jail.js';

/**
 * The status page's warning about the agents' jail: always when it is
 * switched off, and when it is on but cannot start on this machine (then no
 * agent runs). The machine is probed once, on the first page.
 */
export function jailBanner(mode: JailMode, log: Logger): () => string | undefined {
  if (mode === 'off') {
    return () =>
      'AGENT_SANDBOX=off: agents and repository commands run WITHOUT the jail — they can reach this machine’s files, secrets and services.';
  }
  const jail = createJail({ mode, log });
  return () => {
    const status = jail.status();
    return status.ok ? undefined : status.reason;
  };
}
