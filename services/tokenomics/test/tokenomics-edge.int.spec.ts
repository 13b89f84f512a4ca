import { deleteTestTopics, startTestService, testNamespace, type RunningTestService } from '@ionet/testing';
import { tokenomicsService } from '../src/tokenomics.module';
import type { TokenomicsConfig } from '../src/tokenomics.config';

describe('tokenomics service: boots on the kit, answers health, ops and its edge errors as problem+json', () => {
  const ns = testNamespace('tokenomics-edge');
  let svc: RunningTestService<TokenomicsConfig>;

  beforeAll(async () => {
    svc = await startTestService(tokenomicsService, { schema: ns.schema, serviceName: 'tokenomics', topicPrefix: ns.topicPrefix, env: { QUEUE_PREFIX: ns.queuePrefix } });
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const get = async (path: string, key = svc.opsKey) => {
    const res = await fetch(`${svc.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
  };

  it('is ready and serves its ops routes', async () => {
    expect((await fetch(`${svc.baseUrl}/health/ready`)).status).toBe(200);
    expect((await get('/v1/ops/projections')).status).toBe(200);
  });

  it('answers an epoch that is not closed with 404 EPOCH.NOT_FOUND and a malformed one with 400 EPOCH.INVALID', async () => {
    const missing = await get('/v1/epochs/7');
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    expect(missing.body.code).toBe('EPOCH.NOT_FOUND');
    for (const bad of ['0', 'abc', '175320', '-1', '1.5']) {
      const res = await get(`/v1/epochs/${bad}`);
      expect({ bad, status: res.status, code: res.body.code }).toEqual({ bad, status: 400, code: 'EPOCH.INVALID' });
    }
  });

  it('answers rewards of a wallet with a page, and a malformed wallet or cursor with 400', async () => {
    const empty = await get('/v1/rewards?wallet=11111111111111111111111111111111');
    expect(empty).toMatchObject({ status: 200, body: { items: [] } });
    expect((await get('/v1/rewards?wallet=not-a-wallet')).status).toBe(400);
    expect((await get('/v1/rewards')).status).toBe(400);
    const badCursor = await get('/v1/rewards?wallet=11111111111111111111111111111111&cursor=zzz');
    expect({ status: badCursor.status, code: badCursor.body.code }).toEqual({ status: 400, code: 'PAGINATION.INVALID_CURSOR' });
  });

  it('refuses a caller without a key', async () => {
    expect((await get('/v1/epochs/7', 'ionet_nope')).status).toBe(401);
  });
});
