import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { EVENT_HEADERS, encodeEnvelope, newEventId, topicName, type EventContext } from '@ionet/contracts';
import type { Producer } from 'kafkajs';

/** Sends a fact as its producing service's relay would (envelope, key, type and id headers) to the
 *  context's topic under a test prefix. Returns the event id. */
export async function sendFact<D extends DescMessage>(
  producer: Producer,
  topicPrefix: string,
  context: EventContext,
  schema: D,
  aggregateId: string,
  data: MessageInitShape<D>,
  options: { aggregateVersion?: bigint; eventId?: string } = {},
): Promise<string> {
  const eventId = options.eventId ?? newEventId();
  const payload = toBinary(schema, create(schema, data));
  const metadata = {
    eventId,
    eventType: schema.typeName,
    schemaVersion: 1,
    aggregateType: context,
    aggregateId,
    aggregateVersion: options.aggregateVersion ?? 1n,
    occurredAt: new Date(),
    correlationId: eventId,
    causationId: eventId,
    producer: context,
    traceparent: '',
    tracestate: '',
    globalPosition: 0n,
  };
  await producer.send({
    topic: topicName(context, topicPrefix),
    acks: -1,
    messages: [
      {
        key: aggregateId,
        value: Buffer.from(encodeEnvelope(metadata, payload)),
        headers: { [EVENT_HEADERS.eventType]: schema.typeName, [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.schemaVersion]: '1' },
      },
    ],
  });
  return eventId;
}
