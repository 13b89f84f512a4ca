import { Body, Controller, Get, Module, Post, type DynamicModule } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsString } from 'class-validator';
import { createTestSchema, deleteTestTopics, dropTestSchema, testConnections, testNamespace, TEST_OPS_KEY } from '@ionet/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ApiKeyService } from '../src/auth/api-key.service';
import { RequireScopes } from '../src/auth/auth.decorators';
import { BodyLimit } from '../src/auth/body-limit.decorator';
import { createServiceApp, type ServiceDefinition } from '../src/bootstrap';
import { ConfigError, baseConfigSchema, type BaseConfig } from '../src/config/config';
import type { Logger } from '../src/logging/logger';
import { PlatformModule } from '../src/platform.module';

class ThingDto {
  @IsString() name!: string;
}

const SECRET_PARAMETER = 'secret-parameter-4711';

@Controller('v1')
class ThingsController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('things')
  list() {
    return { items: [] };
  }

  @Post('things')
  @RequireScopes('ops')
  create(@Body() body: ThingDto) {
    return { name: body.name.length };
  }

  @Post('documents')
  @RequireScopes('ops')
  @BodyLimit(256 * 1024)
  upload(@Body() body: ThingDto) {
    return { nameLength: body.name.length };
  }

  /** A bug of ours that reaches the database: the 500 must not log the SQL or its parameters. */
  @Get('boom')
  async boom() {
    return this.dataSource.query(`select * from no_such_table_of_ours where owner = $1`, [SECRET_PARAMETER]);
  }

  @Get('ops/things')
  @RequireScopes('ops')
  opsOnly() {
    return { ok: true };
  }
}

@Module({})
class ThingsModule {
  static forRoot(config: BaseConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return { module: ThingsModule, imports: [PlatformModule.forRoot({ config, ...platform, entities: [], migrations: [] })], controllers: [ThingsController] };
  }
}

const thingsService: ServiceDefinition<BaseConfig> = {
  configSchema: baseConfigSchema,
  module: (config, platform) => ThingsModule.forRoot(config, platform),
  openApi: { title: 'things', description: 'test', version: '1' },
};

interface Running {
  app: NestFastifyApplication;
  baseUrl: string;
  port: number;
  logs: string[];
}

async function start(ns: ReturnType<typeof testNamespace>, env: Record<string, string> = {}): Promise<Running> {
  const conn = testConnections();
  await createTestSchema(ns.schema, conn);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const { app } = await createServiceApp(
    thingsService,
    {
      NODE_ENV: 'test',
      SERVICE_NAME: 'things',
      LOG_LEVEL: 'debug',
      DATABASE_URL: conn.postgresUrl,
      DATABASE_SCHEMA: ns.schema,
      DATABASE_POOL_MAX: '3',
      REDIS_URL: conn.redisUrl,
      KAFKA_BROKERS: conn.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: ns.topicPrefix,
      SERVICE_ROLES: 'api',
      OPS_BOOTSTRAP_API_KEY: TEST_OPS_KEY,
      ...env,
    },
    { logDestination: sink },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return { app, baseUrl: `http://127.0.0.1:${address.port}`, port: address.port, logs };
}

const get = (base: string, path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });

describe('the hardened edge', () => {
  const ns = testNamespace('edge-hardening');
  let svc: Running;
  let customerKey: string;

  beforeAll(async () => {
    svc = await start(ns, { HTTP_BODY_LIMIT_BYTES: '16384', HTTP_REQUEST_TIMEOUT_MS: '2000', RATE_LIMIT_KEY_MAX: '1000000', RATE_LIMIT_AUTH_FAILURES_MAX: '1000000' });
    customerKey = (await svc.app.get(ApiKeyService).issue('tenant-a', ['customer'])).key;
  });

  afterAll(async () => {
    await svc?.app.close();
    await dropTestSchema(ns.schema);
    await deleteTestTopics(ns.topicPrefix);
  });

  it('refuses a malformed Authorization header (401) instead of falling back to X-API-Key', async () => {
    expect((await get(svc.baseUrl, '/v1/things', { 'x-api-key': customerKey })).status).toBe(200);
    for (const authorization of [`Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${customerKey} trailing`, 'Bearer']) {
      const res = await get(svc.baseUrl, '/v1/things', { authorization, 'x-api-key': customerKey });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'AUTH.MALFORMED_AUTHORIZATION' });
    }
  });

  it('refuses a key in the query string, echoes no query in the problem and logs no key', async () => {
    const res = await get(svc.baseUrl, `/v1/things?limit=5&api_key=${customerKey}`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { code: string; instance: string };
    expect(body).toMatchObject({ code: 'AUTH.KEY_IN_QUERY', instance: '/v1/things' });
    expect(JSON.stringify(body)).not.toContain(customerKey);
    await get(svc.baseUrl, `/v1/nowhere?api_key=${customerKey}`);
    expect(svc.logs.join('')).not.toContain(customerKey.slice(-43));
  });

  it('logs one line per request, at debug, with the path only', async () => {
    const before = svc.logs.length;
    await get(svc.baseUrl, '/v1/things?limit=7', { authorization: `Bearer ${customerKey}` });
    const lines = svc.logs.slice(before).map((l) => JSON.parse(l) as { level: string; msg: string; path?: string });
    expect(lines.filter((l) => l.level === 'info')).toEqual([]);
    expect(lines.filter((l) => l.msg === 'request completed')).toEqual([expect.objectContaining({ level: 'debug', path: '/v1/things', statusCode: 200 })]);
  });

  it('answers a 500 for a database fault without logging the SQL text or its parameters', async () => {
    const before = svc.logs.length;
    const res = await get(svc.baseUrl, '/v1/boom', { authorization: `Bearer ${customerKey}` });
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toContain('no_such_table');
    const logged = svc.logs.slice(before).join('');
    expect(logged).toContain('unhandled error');
    expect(logged).not.toContain('select * from');
    expect(logged).not.toContain(SECRET_PARAMETER);
  });

  it('caps request bodies (413 problem) and bounds a slow body by the request timeout', async () => {
    const big = await fetch(`${svc.baseUrl}/v1/things`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_OPS_KEY}`, 'content-type': 'application/json', 'idempotency-key': 'big-1' },
      body: JSON.stringify({ name: 'x'.repeat(20_000) }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('application/problem+json');
    expect(await big.json()).toMatchObject({ code: 'REQUEST.TOO_LARGE' });
    // Thousands of unknown fields within the cap: a bounded list of errors, the rest counted.
    const wide = await fetch(`${svc.baseUrl}/v1/things`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_OPS_KEY}`, 'content-type': 'application/json', 'idempotency-key': 'wide-1' },
      body: JSON.stringify({ name: 'ok', ...Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`f${i}`, 1])) }),
    });
    expect(wide.status).toBe(400);
    const widely = (await wide.json()) as { code: string; errors: unknown[]; errorsOmitted: number };
    expect(widely.code).toBe('VALIDATION.FAILED');
    expect(widely.errors).toHaveLength(50);
    expect(widely.errorsOmitted).toBe(950);
    // A route that declares a larger limit takes the same body, and still caps its own.
    const post = (path: string, length: number, idempotencyKey: string) =>
      fetch(`${svc.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_OPS_KEY}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify({ name: 'x'.repeat(length) }),
      });
    const larger = await post('/v1/documents', 20_000, 'doc-1');
    expect(larger.status).toBe(201);
    expect(await larger.json()).toEqual({ nameLength: 20_000 });
    expect((await post('/v1/documents', 300_000, 'doc-2')).status).toBe(413);

    // Headers promise 1,000 bytes; 10 arrive, then nothing: the server must hang up on its own.
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const startedAt = Date.now();
      const socket = connect(svc.port, '127.0.0.1', () => {
        socket.write(`POST /v1/things HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name":"`);
      });
      const cap = setTimeout(() => {
        socket.destroy();
        reject(new Error('the server still held the connection after 20 s'));
      }, 20_000);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(cap);
        resolve(Date.now() - startedAt);
      });
    });
    expect(closedAfterMs).toBeGreaterThanOrEqual(1_500);
  });

  it('keeps /metrics and the ops documentation off the public surface', async () => {
    expect((await get(svc.baseUrl, '/metrics')).status).toBe(401);
    expect((await get(svc.baseUrl, '/metrics', { authorization: `Bearer ${customerKey}` })).status).toBe(403);
    const metrics = await get(svc.baseUrl, '/metrics', { authorization: `Bearer ${TEST_OPS_KEY}` });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('http_request_duration_seconds');

    const publicDoc = (await (await get(svc.baseUrl, '/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(publicDoc.paths)).toContain('/v1/things');
    expect(Object.keys(publicDoc.paths).filter((p) => p.startsWith('/v1/ops'))).toEqual([]);
    expect((await get(svc.baseUrl, '/v1/ops/openapi.json')).status).toBe(401);
    expect((await get(svc.baseUrl, '/v1/ops/openapi.json', { authorization: `Bearer ${customerKey}` })).status).toBe(403);
    const opsDoc = (await (await get(svc.baseUrl, '/v1/ops/openapi.json', { authorization: `Bearer ${TEST_OPS_KEY}` })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(opsDoc.paths)).toContain('/v1/ops/things');
  });

  it('refuses in production a published or low-entropy ops key, naming the variable', async () => {
    const conn = testConnections();
    const env = { NODE_ENV: 'production', SERVICE_NAME: 'things', DATABASE_URL: conn.postgresUrl, REDIS_URL: conn.redisUrl, KAFKA_BROKERS: conn.kafkaBrokers.join(',') };
    for (const key of [TEST_OPS_KEY, 'ionet_ops_compose-development-key-change-me-000000', `ionet_ops_${'ab'.repeat(22)}`]) {
      const failure = createServiceApp(thingsService, { ...env, OPS_BOOTSTRAP_API_KEY: key });
      await expect(failure).rejects.toThrow(ConfigError);
      await expect(createServiceApp(thingsService, { ...env, OPS_BOOTSTRAP_API_KEY: key })).rejects.toThrow(/OPS_BOOTSTRAP_API_KEY/);
    }
  });
});

describe('the edge rate limits', () => {
  const ns = testNamespace('edge-rate-limits');
  let svc: Running;

  beforeAll(async () => {
    svc = await start(ns, { RATE_LIMIT_KEY_MAX: '3', RATE_LIMIT_AUTH_FAILURES_MAX: '5', RATE_LIMIT_ADDRESS_MAX: '1000' });
  });

  afterAll(async () => {
    await svc?.app.close();
    await dropTestSchema(ns.schema);
    await deleteTestTopics(ns.topicPrefix);
  });

  it('limits each key (429 problem with Retry-After) without touching other keys', async () => {
    const keys = svc.app.get(ApiKeyService);
    const busy = (await keys.issue('tenant-a', ['customer'])).key;
    const quiet = (await keys.issue('tenant-b', ['customer'])).key;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(svc.baseUrl, '/v1/things', { authorization: `Bearer ${busy}` })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await get(svc.baseUrl, '/v1/things', { authorization: `Bearer ${busy}` });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(await limited.json()).toMatchObject({ status: 429, code: 'REQUEST.RATE_LIMITED', instance: '/v1/things' });
    expect((await get(svc.baseUrl, '/v1/things', { authorization: `Bearer ${quiet}` })).status).toBe(200);
  });

  it('stops a flood of bad keys from one address with 429 once its refusals are spent, lets live keys through, and keeps health probes open', async () => {
    const live = (await svc.app.get(ApiKeyService).issue('tenant-c', ['customer'])).key;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await get(svc.baseUrl, '/v1/things', { authorization: `Bearer ionet_customer_${String(i).padStart(43, 'x')}` })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const after = await get(svc.baseUrl, '/v1/things', { authorization: 'Bearer not-even-a-key' });
    expect(after.status).toBe(429);
    expect(after.headers.get('retry-after')).toMatch(/^\d+$/);
    // Behind one proxy address, callers with live keys are not locked out by someone else's guessing.
    expect((await get(svc.baseUrl, '/v1/things', { authorization: `Bearer ${live}` })).status).toBe(200);
    expect((await get(svc.baseUrl, '/health/live')).status).toBe(200);
  });
});
