import type { LoggerService } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs, one line per event, with the service name on every line and the trace and
 *  span ids of the active span, so a log line leads to its trace. */
export function createLogger(serviceName: string, level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: { err: safeErrorSerializer, req: safeRequestSerializer },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Properties of database errors that hold SQL text, bound parameters or row values (TypeORM's
 *  QueryFailedError and pg's DatabaseError): a logged fault must not copy data into the logs. */
const ERROR_FIELDS_WITHHELD = ['query', 'parameters', 'driverError', 'sql', 'where', 'detail', 'hint', 'internalQuery', 'internalPosition', 'position', 'values'];

/** pino's error serializer without the database's internals, applied to causes as well. */
export function safeErrorSerializer(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const serialized = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const field of ERROR_FIELDS_WITHHELD) delete serialized[field];
  if (serialized.cause !== undefined) serialized.cause = safeErrorSerializer((err as Error & { cause?: unknown }).cause);
  return serialized;
}

/** A query parameter that may carry a credential. */
const CREDENTIAL_PARAM = /([?&](?:api_key|apikey|api-key|access_token|key|token)=)[^&#]*/gi;

/** A URL for the logs: credentials in its query replaced. */
export function redactUrl(url: string): string {
  return url.replace(CREDENTIAL_PARAM, '$1[redacted]');
}

/** Requests as Fastify would log them, without credentials in the URL. */
export function safeRequestSerializer(req: { method?: string; url?: string; id?: unknown; hostname?: string; ip?: string; socket?: { remotePort?: number } }): Record<string, unknown> {
  return { method: req.method, url: req.url === undefined ? undefined : redactUrl(req.url), id: req.id, hostname: req.hostname, remoteAddress: req.ip };
}

/** Nest's own messages (bootstrap, route mapping) through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}

export const LOGGER = Symbol('ionet.logger');
