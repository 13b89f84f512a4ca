import type { Message } from '@bufbuild/protobuf';
import type { NewEvent } from '../store/event-store';

/** An aggregate as pure functions (STYLE.md rule 2): the kit loads, decides, appends and retries. */
export interface Decider<Command, State, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}

/** Domain events <-> protobuf messages of one stream type. `decode` receives the current schema's
 *  message (the kit has already upcast it) and throws a ContractError for a value it cannot map. */
export interface EventCodec<Event> {
  encode(event: Event): Omit<NewEvent, 'eventId'>;
  decode(message: Message, eventType: string): Event;
}

/** What a service registers per aggregate: its stream type, decider and codec. */
export interface AggregateDefinition<Command, State, Event> {
  streamType: string;
  decider: Decider<Command, State, Event>;
  codec: EventCodec<Event>;
}

export function defineAggregate<Command, State, Event>(definition: AggregateDefinition<Command, State, Event>): AggregateDefinition<Command, State, Event> {
  return definition;
}
