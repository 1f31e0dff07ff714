/**
 * Thrown when a guarded state write (`UPDATE … WHERE state = <from>`) finds
 * the row no longer in the state it was read in: another process moved it
 * first. The caller re-reads and decides again; it never overwrites.
 */
export class StaleStateError extends Error {
  override name = 'StaleStateError';
  constructor(
    readonly entity: string,
    readonly id: number,
    readonly expected: string,
    readonly actual: string | undefined,
  ) {
    super(
      actual === undefined
        ? `${entity} ${id} does not exist`
        : `${entity} ${id} is ${actual}, not ${expected}: another process moved it first`,
    );
  }
}

export class RecordNotFoundError extends Error {
  override name = 'RecordNotFoundError';
  constructor(
    readonly entity: string,
    readonly id: number,
  ) {
    super(`${entity} ${id} does not exist`);
  }
}

/** What a caller may pass to a transition: the reason, and the state it believes the row is in. */
export interface TransitionOptions<S extends string> {
  /** Why: kept as the blocked/failure reason where the target state has one. */
  reason?: string;
  /** The state(s) the caller read; the transition refuses (StaleStateError) when the row is elsewhere. */
  from?: S | readonly S[];
}

export function expectedStates<S extends string>(
  from: S | readonly S[] | undefined,
): S[] | undefined {
  if (from === undefined) return undefined;
  return typeof from === 'string' ? [from] : [...from];
}
