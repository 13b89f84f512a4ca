import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { CONTRACT_ERROR_CODES, ContractError, toDomain, toWire, type DomainOf } from '@ionet/contracts';
import type { EventCodec } from './decider';

type WireOf<Desc extends DescMessage> = DomainOf<MessageShape<Desc>>;

/** How one domain event maps to its protobuf message. Only the renames are written by hand: enums,
 *  money and timestamps are converted from the descriptor (libs/contracts codec). */
export interface EventMapping<Event, Desc extends DescMessage> {
  schema: Desc;
  toWire(event: Event): WireOf<Desc>;
  fromWire(wire: WireOf<Desc>): Event;
  /** When the fact happened; defaults to the event's `at`. */
  occurredAt?(event: Event): Date;
}

/** The codec of a stream's events from one mapping per event type (a missing type fails to compile):
 *  `eventCodec<DeviceEvent>()({ DeviceRegistered: { schema, toWire, fromWire }, ... })`. */
export function eventCodec<Event extends { type: string }>() {
  return <Schemas extends Record<Event['type'], DescMessage>>(mappings: { [T in keyof Schemas]: EventMapping<Extract<Event, { type: T }>, Schemas[T]> }): EventCodec<Event> =>
    codecOf<Event>(mappings as unknown as Record<string, EventMapping<Event, DescMessage>>);
}

function codecOf<Event extends { type: string }>(mappings: Record<string, EventMapping<Event, DescMessage>>): EventCodec<Event> {
  const byWireType = new Map<string, EventMapping<Event, DescMessage>>();
  for (const mapping of Object.values(mappings)) byWireType.set(mapping.schema.typeName, mapping);
  return {
    encode(event) {
      const mapping = mappings[event.type];
      if (!mapping) throw new Error(`no wire mapping for ${event.type}`);
      const occurredAt = mapping.occurredAt ? mapping.occurredAt(event) : (event as unknown as { at: Date }).at;
      return { schema: mapping.schema, data: toWire(mapping.schema, mapping.toWire(event)), occurredAt };
    },
    decode(message, eventType) {
      const mapping = byWireType.get(message.$typeName);
      if (!mapping) throw new ContractError(CONTRACT_ERROR_CODES.unknownEventType, `this stream holds an unexpected ${eventType}`);
      return mapping.fromWire(toDomain(mapping.schema, message));
    },
  };
}
