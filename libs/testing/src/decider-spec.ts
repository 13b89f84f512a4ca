import { deepStrictEqual, fail } from 'node:assert/strict';

/** The decider shape of @ionet/eventing (structural, so domain tests need nothing else). */
export interface SpecDecider<Command, State, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}

export interface DeciderThen<Event> {
  /** The command appends exactly these events. */
  then(expected: Event[]): void;
  /** The command is refused with this stable code (a thrown error carrying `code`). */
  thenRefused(code: string): void;
}

/** Given/when/then over a decider (Emmett's DeciderSpecification is the model): the history is
 *  folded with evolve, the command decided against it. No infrastructure, no mocks. */
export function deciderSpec<Command, State, Event>(decider: SpecDecider<Command, State, Event>) {
  return {
    given(history: Event[]) {
      const state = history.reduce((s, e) => decider.evolve(s, e), decider.initialState);
      return {
        when(command: Command): DeciderThen<Event> {
          const run = (): { events: Event[] } | { error: unknown } => {
            try {
              return { events: decider.decide(command, state) };
            } catch (error) {
              return { error };
            }
          };
          return {
            then(expected) {
              const outcome = run();
              if ('error' in outcome) fail(`expected events, the command was refused: ${String((outcome.error as Error)?.message ?? outcome.error)}`);
              deepStrictEqual(outcome.events, expected);
            },
            thenRefused(code) {
              const outcome = run();
              if ('events' in outcome) fail(`expected a refusal ${code}, the command decided ${outcome.events.length} event(s)`);
              deepStrictEqual((outcome.error as { code?: unknown })?.code, code);
            },
          };
        },
      };
    },
  };
}
