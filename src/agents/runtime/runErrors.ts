/** Why the runner itself stopped a run (as opposed to the engine failing). */

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** A structured result stayed invalid after its corrective turn. */
export class InvalidOutputError extends Error {
  override name = 'InvalidOutputError';
}
