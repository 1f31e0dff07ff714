import { infrastructureReason } from '../../domain/infrastructureError.js';
import type { Logger } from '../../logger.js';
import { retryDelayMs } from './classifyError.js';

/**
 * A write a run can do without for a while (a heartbeat, the session id as
 * soon as it is known): when it fails the run goes on and the failure is
 * logged; the next message tries again. Returns whether it was written.
 */
export async function writeIfYouCan(
  log: Logger,
  what: string,
  write: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    log.warn(
      { err: infrastructureReason(error) ?? String(error), infrastructure: true },
      `could not ${what}; the run goes on and tries again`,
    );
    return false;
  }
}

export interface InfrastructureRetry {
  log: Logger;
  /** Tries in all, the first included. */
  tries?: number;
  baseDelayMs?: number;
}

/**
 * A write a run must make (its end, its usage): retried with backoff while
 * the error is PostgreSQL or Redis being away, each retry logged; any other
 * error, or the last try's, is thrown (the job then retries as infrastructure).
 * By default about half a minute in all, which a database restart fits in.
 */
export async function retryInfrastructure<T>(
  what: string,
  write: () => Promise<T>,
  { log, tries = 6, baseDelayMs = 1_000 }: InfrastructureRetry,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const reason = infrastructureReason(error);
      if (!reason || attempt >= tries) throw error;
      const delayMs = retryDelayMs(attempt, baseDelayMs, 10_000);
      log.warn(
        { err: reason, infrastructure: true, attempt, delayMs },
        `could not ${what}: infrastructure error; retrying`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
