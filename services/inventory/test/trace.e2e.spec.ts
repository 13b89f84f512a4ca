import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { TEST_OPS_KEY, createTestSchema, deleteTestTopics, dropTestSchema, testConnections, testNamespace, waitFor } from '@ionet/testing';

/** One span as the OTLP/HTTP JSON exporter sends it. */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: { stringValue?: string } }[];
}

const SPAN_KIND = { server: 2, producer: 4, consumer: 5 };
const serviceDir = join(__dirname, '..');

/**
 * The real process, with its real instrumentation (which patches http, pg and kafkajs as they load):
 * a REST call carrying a W3C traceparent starts a trace that continues through the event store, the
 * relay's Kafka publish and the projection's consumer, exported over OTLP to a collector we run here.
 */
describe('a trace started by a REST call continues in the consumer', () => {
  const ns = testNamespace('inventory-trace');
  const conn = testConnections();
  const spans: OtlpSpan[] = [];
  let collector: Server;
  let service: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    // The test runs the built service: build it (incremental, a no-op when up to date).
    const build = spawnSync('npx', ['tsc', '-b', 'tsconfig.json'], { cwd: serviceDir, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const parsed = JSON.parse(body) as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
        for (const rs of parsed.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    await createTestSchema(ns.schema, conn);
  });

  afterAll(async () => {
    if (service && service.exitCode === null) {
      service.kill('SIGTERM');
      await new Promise((r) => service!.once('exit', r));
    }
    await new Promise((r) => collector.close(r));
    await dropTestSchema(ns.schema, conn);
    await deleteTestTopics(ns.topicPrefix, conn);
  });

  it('links the HTTP request, the Kafka publish and the catalogue consumer in one trace', async () => {
    const port = await freePort();
    const collectorPort = (collector.address() as { port: number }).port;
    service = spawn(process.execPath, ['dist/main.js'], {
      cwd: serviceDir,
      env: {
        ...process.env,
        SERVICE_NAME: 'inventory',
        HTTP_PORT: String(port),
        LOG_LEVEL: 'warn',
        DATABASE_URL: conn.postgresUrl,
        DATABASE_SCHEMA: ns.schema,
        REDIS_URL: conn.redisUrl,
        KAFKA_BROKERS: conn.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: ns.topicPrefix,
        OPS_BOOTSTRAP_API_KEY: TEST_OPS_KEY,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    service.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      `the service to be ready (output so far: ${output.slice(-500)})`,
      async () => {
        if (service!.exitCode !== null) throw new Error(`service exited ${service!.exitCode}: ${output}`);
        return (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok || undefined;
      },
      45_000,
    );

    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const res = await fetch(`${base}/v1/suppliers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_OPS_KEY}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({ name: 'Traced Farm', source: 'mining_farm' }),
    });
    expect(res.status).toBe(201);

    const consumer = await waitFor(
      'the catalogue consumer span of this trace',
      () => spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.consumer && attribute(s, 'messaging.consumer.group.name') === `${ns.topicPrefix}inventory.catalog`),
      30_000,
    );
    const inTrace = spans.filter((s) => s.traceId === traceId);
    const server = inTrace.find((s) => s.kind === SPAN_KIND.server);
    const publish = inTrace.find((s) => s.kind === SPAN_KIND.producer && s.name.endsWith('publish'));
    expect(server?.parentSpanId).toBe(callerSpanId);
    expect(publish).toBeDefined();
    // The consumer span is the child of the publish span, which descends from the HTTP request.
    expect(consumer.parentSpanId).toBe(publish!.spanId);
    expect(ancestors(publish!, inTrace)).toContain(server!.spanId);
  });
});

function attribute(span: OtlpSpan, key: string): string | undefined {
  return span.attributes?.find((a) => a.key === key)?.value.stringValue;
}

function ancestors(span: OtlpSpan, all: OtlpSpan[]): string[] {
  const chain: string[] = [];
  let current: OtlpSpan | undefined = span;
  for (let depth = 0; current?.parentSpanId && depth < 32; depth++) {
    chain.push(current.parentSpanId);
    current = all.find((s) => s.spanId === current!.parentSpanId);
  }
  return chain;
}

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
