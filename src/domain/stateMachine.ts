/**
 * A state machine is a table of legal moves. `transition` is the only way a
 * state changes in Factory: it returns the new state or throws a typed error
 * naming the entity, the move and why it is illegal.
 */
export type TransitionTable<S extends string> = { readonly [From in S]: readonly S[] };

export class IllegalTransitionError<S extends string = string> extends Error {
  override name = 'IllegalTransitionError';
  constructor(
    readonly entity: string,
    readonly from: S,
    readonly to: S,
  ) {
    super(`${entity} cannot move from ${from} to ${to}`);
  }
}

export interface StateMachine<S extends string> {
  readonly entity: string;
  readonly states: readonly S[];
  canTransition(from: S, to: S): boolean;
  /** Returns `to` when the move is legal; throws IllegalTransitionError otherwise. */
  transition(from: S, to: S): S;
}

export function defineStateMachine<S extends string>(
  entity: string,
  table: TransitionTable<S>,
): StateMachine<S> {
  const states = Object.keys(table) as S[];
  const canTransition = (from: S, to: S) => table[from].includes(to);
  return {
    entity,
    states,
    canTransition,
    transition(from, to) {
      if (!canTransition(from, to)) throw new IllegalTransitionError(entity, from, to);
      return to;
    },
  };
}
