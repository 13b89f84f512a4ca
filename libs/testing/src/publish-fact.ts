import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { EVENT_HEADERS, encodeEnvelope, newEventId, topicName, type EventContext } from '@ionet/contracts';
import { testKafka } from './kafka';

/** Publishes one fact as its owning service's relay would: envelope, key and type headers.
 *  Returns the event id. */
export async function publishFact<Desc extends DescMessage>(
  topicPrefix: string,
  context: EventContext,
  schema: Desc,
  aggregateId: string,
  data: MessageInitShape<Desc>,
  aggregateVersion = 1n,
): Promise<string> {
  const producer = testKafka(`${context}-test-publisher`).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const eventId = newEventId();
    const payload = toBinary(schema, create(schema, data));
    const metadata = {
      eventId,
      eventType: schema.typeName,
      schemaVersion: 1,
      aggregateType: context,
      aggregateId,
      aggregateVersion,
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
      messages: [{ key: aggregateId, value: Buffer.from(encodeEnvelope(metadata, payload)), headers: { [EVENT_HEADERS.eventType]: schema.typeName, [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.schemaVersion]: '1' } }],
    });
    return eventId;
  } finally {
    await producer.disconnect();
  }
}
