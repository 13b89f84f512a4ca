import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import { createLogger } from './logger';

describe('createLogger', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('writes JSON lines with the service, a text level, the active trace ids, and no secrets', () => {
    const logger = createLogger('inventory', 'info', sink);
    const span = new BasicTracerProvider().getTracer('test').startSpan('request');
    context.with(trace.setSpan(context.active(), span), () => logger.info({ deviceId: 'd-1' }, 'device registered'));
    logger.info({ req: { headers: { authorization: 'Bearer ionet_ops_secret' } } }, 'outside any span');
    logger.debug('below the level');
    span.end();

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'inventory',
      deviceId: 'd-1',
      msg: 'device registered',
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(lines[1]).not.toHaveProperty('trace_id');
    expect(JSON.stringify(lines[1])).not.toContain('ionet_ops_secret');
  });
});
