import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { waitFor } from '@ionet/testing';
import { ConsumerRunner, EventStore, OutboxRelay } from '../src';
import { deviceListed, eventingTestKit, memoryLogger, type EventingTestKit } from './support/eventing-test-kit';

jest.setTimeout(60_000);

describe('trace context from command to consumer', () => {
  let kit: EventingTestKit;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    kit = await eventingTestKit('tracing');
  });
  afterAll(async () => {
    await kit.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('continues the trace that was active at append time in the relay and in the consumer handler', async () => {
    const store = new EventStore({ pool: kit.pool, producer: 'inventory' });
    const tracer = trace.getTracer('test');
    const commandSpan = tracer.startSpan('POST /v1/devices/dev-traced/listing');
    await context.with(trace.setSpan(context.active(), commandSpan), () =>
      store.append(undefined, { streamId: 'dev-traced', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-traced')] }),
    );
    commandSpan.end();

    const relay = new OutboxRelay({ connection: kit.poolConfig, kafka: kit.kafka, topicPrefix: kit.ns.topicPrefix, logger: memoryLogger() });
    // The relay's own activity runs under another trace: the producer span must not join it.
    const relaySpan = tracer.startSpan('relay loop');
    await context.with(trace.setSpan(context.active(), relaySpan), () => relay.drain());
    relaySpan.end();
    await relay.stop();

    const seenInHandler: string[] = [];
    const runner = new ConsumerRunner({
      kafka: kit.kafka,
      groupId: `${kit.ns.topicPrefix}traced`,
      topics: [kit.inventoryTopic],
      transactions: kit.transactions,
      deadLetterTopic: kit.dlqTopic,
      logger: memoryLogger(),
      handleBatch: async (events) => {
        for (const e of events) context.with(e.traceContext, () => seenInHandler.push(trace.getActiveSpan()!.spanContext().traceId));
      },
    });
    await runner.start();
    try {
      await waitFor('the handler saw the event', () => (seenInHandler.length > 0 ? true : undefined), 20_000);
    } finally {
      await runner.stop();
    }

    const traceId = commandSpan.spanContext().traceId;
    expect(seenInHandler).toEqual([traceId]);
    const spans = exporter.getFinishedSpans();
    const producer = spans.find((s) => s.name === `${kit.inventoryTopic} publish`)!;
    const consumer = spans.find((s) => s.name === `${kit.inventoryTopic} process`)!;
    expect(producer.spanContext().traceId).toBe(traceId);
    expect(producer.parentSpanContext?.spanId).toBe(commandSpan.spanContext().spanId);
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
  });
});
