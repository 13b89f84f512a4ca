import { Body, Controller, Get, HttpCode, Module, Post, type DynamicModule } from '@nestjs/common';
import { AGENT_HEADERS, generateAgentKey, signAgentRequest, type AgentKey } from '@ionet/agent-protocol';
import { createTestSchema, deleteTestTopics, dropTestSchema, testConnections, testNamespace, TEST_OPS_KEY } from '@ionet/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Registry } from 'prom-client';
import { IsArray } from 'class-validator';
import { AgentAuthenticated, AgentCaller, type AgentContext } from '../src/agent-auth/agent-auth.guard';
import { createServiceApp, type ServiceDefinition } from '../src/bootstrap';
import { baseConfigSchema, type BaseConfig } from '../src/config/config';
import type { Logger } from '../src/logging/logger';
import { PlatformModule } from '../src/platform.module';

class BeatsDto {
  @IsArray() heartbeats!: unknown[];
}

@Controller('v1/agent')
@AgentAuthenticated()
class AgentController {
  @Get('work')
  work(@AgentCaller() agent: AgentContext) {
    return { address: agent.address };
  }

  @Post('heartbeats')
  @HttpCode(200)
  beats(@AgentCaller() agent: AgentContext, @Body() body: BeatsDto) {
    return { address: agent.address, count: body.heartbeats.length };
  }
}

@Module({})
class AgentTestModule {
  static forRoot(config: BaseConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return { module: AgentTestModule, imports: [PlatformModule.forRoot({ config, ...platform, entities: [], migrations: [] })], controllers: [AgentController] };
  }
}

const agentService: ServiceDefinition<BaseConfig> = {
  configSchema: baseConfigSchema,
  module: (config, platform) => AgentTestModule.forRoot(config, platform),
  openApi: { title: 'agent-auth', description: 'test', version: '1' },
};

describe('agent authentication on a real service (Redis nonce window)', () => {
  const ns = testNamespace('agent-auth');
  let app: NestFastifyApplication;
  let base: string;
  const key: AgentKey = generateAgentKey();

  beforeAll(async () => {
    const conn = testConnections();
    await createTestSchema(ns.schema, conn);
    ({ app } = await createServiceApp(agentService, {
      NODE_ENV: 'test',
      SERVICE_NAME: 'agent-auth',
      LOG_LEVEL: 'warn',
      DATABASE_URL: conn.postgresUrl,
      DATABASE_SCHEMA: ns.schema,
      DATABASE_POOL_MAX: '2',
      REDIS_URL: conn.redisUrl,
      KAFKA_BROKERS: conn.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: ns.topicPrefix,
      SERVICE_ROLES: 'api',
      OPS_BOOTSTRAP_API_KEY: TEST_OPS_KEY,
    }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('no TCP address');
    base = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await app?.close();
    await dropTestSchema(ns.schema);
    await deleteTestTopics(ns.topicPrefix);
  });

  const post = (headers: Record<string, string>, body: string) => fetch(`${base}/v1/agent/heartbeats`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('accepts a signed request without an API key and names the agent', async () => {
    const body = JSON.stringify({ heartbeats: [1, 2] });
    const res = await post(signAgentRequest({ key, method: 'POST', pathAndQuery: '/v1/agent/heartbeats', body, nowMs: Date.now() }), body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ address: key.address, count: 2 });
    const path = '/v1/agent/work?waitMs=0';
    const get = await fetch(`${base}${path}`, { headers: signAgentRequest({ key, method: 'GET', pathAndQuery: path, nowMs: Date.now() }) });
    expect(await get.json()).toEqual({ address: key.address });
  });

  it('refuses a replayed request, however many are sent at once: exactly one passes', async () => {
    const body = JSON.stringify({ heartbeats: [] });
    const headers = signAgentRequest({ key, method: 'POST', pathAndQuery: '/v1/agent/heartbeats', body, nowMs: Date.now() });
    const statuses = await Promise.all(Array.from({ length: 8 }, () => post(headers, body).then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string } }))));
    expect(statuses.filter((s) => s.status === 200)).toHaveLength(1);
    for (const s of statuses.filter((x) => x.status !== 200)) expect(s).toEqual({ status: 401, body: expect.objectContaining({ code: 'AGENT.NONCE_REPLAYED' }) });
  });

  it('refuses a changed body, a forged signature, a stale timestamp and a missing signature, as problem+json', async () => {
    const body = JSON.stringify({ heartbeats: [] });
    const signed = signAgentRequest({ key, method: 'POST', pathAndQuery: '/v1/agent/heartbeats', body, nowMs: Date.now() });
    const forged = { ...signAgentRequest({ key: generateAgentKey(), method: 'POST', pathAndQuery: '/v1/agent/heartbeats', body, nowMs: Date.now() }), [AGENT_HEADERS.key]: key.address };
    const stale = signAgentRequest({ key, method: 'POST', pathAndQuery: '/v1/agent/heartbeats', body, nowMs: Date.now() - 6 * 60_000 });
    const cases: Array<[Record<string, string>, string, string]> = [
      [signed, JSON.stringify({ heartbeats: [1] }), 'AGENT.SIGNATURE_INVALID'],
      [forged, body, 'AGENT.SIGNATURE_INVALID'],
      [stale, body, 'AGENT.SIGNATURE_STALE'],
      [{ authorization: `Bearer ${TEST_OPS_KEY}` }, body, 'AGENT.SIGNATURE_MISSING'],
    ];
    for (const [headers, sent, code] of cases) {
      const res = await post(headers, sent);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ code });
    }
  });
});
