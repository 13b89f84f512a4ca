import { startTestService, testNamespace, type RunningTestService } from '@ionet/testing';
import { CLOCK, type Clock } from '../src/clock/clock';
import type { BaseConfig } from '../src/config/config';
import { edgeTestService } from './edge-service.fixture';

const WIDGET = '0190a3c4-0000-7000-8000-00000000000a';

describe('process roles and the clock, in a real Nest app on Fastify', () => {
  const apps: RunningTestService<BaseConfig>[] = [];
  const start = async (env: Record<string, string>) => {
    const ns = testNamespace('platform-roles');
    const svc = await startTestService(edgeTestService, { schema: ns.schema, serviceName: 'roles-test', env });
    apps.push(svc);
    return svc;
  };

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  it('without the api role serves health, metrics and ops, and answers 404 to business routes and docs', async () => {
    const worker = await start({ SERVICE_ROLES: 'consumer,worker' });
    expect((await fetch(`${worker.baseUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${worker.baseUrl}/health/ready`)).status).toBe(200);
    // /metrics is for ops keys only (ADR 0302), whatever the roles.
    expect((await fetch(`${worker.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${worker.baseUrl}/metrics`, { headers: { authorization: `Bearer ${worker.opsKey}` } })).status).toBe(200);
    for (const path of [`/v1/widgets/${WIDGET}`, '/v1/widgets', '/openapi.json', '/docs', '/healthz']) {
      const res = await fetch(`${worker.baseUrl}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    // Ops routes pass the role filter (this fixture has none: Nest's own 404, not the filter's).
    const ops = (await (await fetch(`${worker.baseUrl}/v1/ops/dead-letters`)).json()) as { detail: string };
    expect(ops.detail).not.toContain('SERVICE_ROLES');
  });

  it('with the api role serves the business routes', async () => {
    const api = await start({ SERVICE_ROLES: 'api' });
    expect((await fetch(`${api.baseUrl}/v1/widgets/${WIDGET}`)).status).toBe(200);
    expect((await fetch(`${api.baseUrl}/openapi.json`)).status).toBe(200);
  });

  it('provides one clock to every module: accelerated from CLOCK_RATE and CLOCK_ORIGIN', async () => {
    const origin = new Date(Date.now() - 60_000);
    const svc = await start({ CLOCK_RATE: '60', CLOCK_ORIGIN: origin.toISOString() });
    const clock = svc.app.get<Clock>(CLOCK);
    const before = Date.now();
    const now = clock.now().getTime();
    const after = Date.now();
    // One wall minute after the origin is about one hour after it on this clock.
    expect(now).toBeGreaterThanOrEqual(origin.getTime() + (before - origin.getTime()) * 60);
    expect(now).toBeLessThanOrEqual(origin.getTime() + (after - origin.getTime()) * 60);
    expect(now - origin.getTime()).toBeGreaterThanOrEqual(3_600_000);
  });
});
