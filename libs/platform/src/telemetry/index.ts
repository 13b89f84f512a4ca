// Loaded before Nest and the instrumented libraries (see a service's main.ts): instrumentation
// patches modules as they are required, so anything required earlier is not traced.
import { context, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export type TracesExporter = 'none' | 'otlp' | 'console';

export interface TelemetryOptions {
  serviceName: string;
  exporter: TracesExporter;
  otlpEndpoint?: string;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

let started: Telemetry | undefined;

/**
 * Starts tracing once per process. With the exporter off, request spans are still created and W3C
 * trace context still propagates (HTTP -> outbox -> Kafka headers -> consumer), so logs and
 * downstream services keep one trace id; only the export and the leaf spans (queries) are skipped.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (started) return started;
  const spanProcessors: SpanProcessor[] = [];
  if (options.exporter === 'otlp') {
    const url = options.otlpEndpoint ? `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` : undefined;
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {})));
  } else if (options.exporter === 'console') {
    spanProcessors.push(new BatchSpanProcessor(new ConsoleSpanExporter()));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors,
  });
  provider.register({
    propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  });
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|metrics)/.test(req.url ?? '') }),
      // Query and Redis spans are leaves: no context travels on from them, so with nothing exported
      // they are pure cost (a span and its attributes per query, ADR 0313). The request's span stays:
      // it carries the trace id into logs, the outbox and Kafka headers.
      ...(options.exporter === 'none' ? [] : [new PgInstrumentation(), new IORedisInstrumentation()]),
      // No kafkajs instrumentation: it would stamp each message with a span of the relay's own
      // context. @ionet/eventing starts the producer span from the context saved with the event and
      // the consumer span from the message's headers, so a trace runs unbroken from the command.
    ],
  });
  started = {
    async shutdown() {
      unregister();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      started = undefined;
    },
  };
  return started;
}

/** Reads the same variables as the service configuration; a bad value is reported by the config check. */
export function startTelemetryFromEnv(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const exporter = env.OTEL_TRACES_EXPORTER === 'otlp' || env.OTEL_TRACES_EXPORTER === 'console' ? env.OTEL_TRACES_EXPORTER : 'none';
  return startTelemetry({ serviceName, exporter, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
}

/** The active trace id, for log lines and problem responses. */
export function currentTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  return span?.spanContext().traceId;
}
