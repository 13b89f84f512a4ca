import { ROOT_CONTEXT, SpanKind, context, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

const TRACER_NAME = '@ionet/eventing';

export function eventingTracer() {
  return trace.getTracer(TRACER_NAME);
}

/** The trace context saved with an event (or carried by a message), as a parent for new spans. */
export function contextFromTraceparent(traceparent: string | undefined, tracestate: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** Starts a producer span as a child of the saved context and returns the headers that carry it. */
export function startProducerSpan(parent: Context, topic: string, eventId: string, eventType: string): { span: Span; carrier: Record<string, string> } {
  const span = eventingTracer().startSpan(
    `${topic} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.message.id': eventId, 'ionet.event_type': eventType },
    },
    parent,
  );
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return { span, carrier };
}

/** Starts the consumer span of one message as a child of the context its headers carry. */
export function startConsumerSpan(headers: IHeaders | undefined, topic: string, partition: number, offset: string, groupId: string): { span: Span; context: Context } {
  const parent = contextFromTraceparent(headerString(headers, 'traceparent'), headerString(headers, 'tracestate'));
  const span = eventingTracer().startSpan(
    `${topic} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': Number(offset),
        'messaging.consumer.group.name': groupId,
      },
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** One consumer span for a whole batch (rebuilds): no parent, since its messages come from many
 *  traces; per-message spans cost more than the rest of a rebuild's work per event. */
export function startConsumerBatchSpan(topic: string, partition: number, firstOffset: string, messageCount: number, groupId: string): { span: Span; context: Context } {
  const span = eventingTracer().startSpan(
    `${topic} process batch`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': Number(firstOffset),
        'messaging.batch.message_count': messageCount,
        'messaging.consumer.group.name': groupId,
      },
    },
    ROOT_CONTEXT,
  );
  return { span, context: trace.setSpan(ROOT_CONTEXT, span) };
}

export { context as otelContext };
