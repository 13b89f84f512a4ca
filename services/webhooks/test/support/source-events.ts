import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { encodeEnvelope, EVENT_HEADERS, EventRegistry, newEventId, topicName } from '@ionet/contracts';
import type { Producer } from 'kafkajs';

const registry = EventRegistry.catalogue();

export interface PublishedEvent {
  eventId: string;
  topic: string;
  message: { key: string; value: Buffer; headers: Record<string, string> };
}

/** A platform event as its producing service's relay would publish it (envelope, key, headers). */
export function sourceEvent<Desc extends DescMessage>(
  schema: Desc,
  data: MessageInitShape<Desc>,
  options: { topicPrefix: string; aggregateType: string; aggregateId: string; occurredAt: Date; eventId?: string },
): PublishedEvent {
  const eventId = options.eventId ?? newEventId();
  const info = registry.require(schema.typeName);
  const value = encodeEnvelope(
    {
      eventId,
      eventType: schema.typeName,
      schemaVersion: info.schemaVersion,
      aggregateType: options.aggregateType,
      aggregateId: options.aggregateId,
      aggregateVersion: 1n,
      occurredAt: options.occurredAt,
      correlationId: eventId,
      causationId: eventId,
      producer: 'webhooks-test',
      traceparent: '',
      tracestate: '',
      globalPosition: 0n,
    },
    toBinary(schema, create(schema, data)),
  );
  return {
    eventId,
    topic: topicName(info.context, options.topicPrefix),
    message: {
      key: options.aggregateId,
      value: Buffer.from(value),
      headers: { [EVENT_HEADERS.eventType]: schema.typeName, [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.schemaVersion]: String(info.schemaVersion) },
    },
  };
}

export async function publish(producer: Producer, ...events: PublishedEvent[]): Promise<void> {
  for (const e of events) await producer.send({ topic: e.topic, acks: -1, messages: [e.message] });
}
