import { ApiKeyService, encodeCursor } from '@ionet/platform';
import { deleteTestTopics, startTestService, testNamespace, type RunningTestService } from '@ionet/testing';
import { inventoryService } from '../src/inventory.module';
import type { InventoryConfig } from '../src/inventory.config';

const DASHES = '-'.repeat(36);
const SOME_DEVICE = '0190a3c4-0000-7000-8000-00000000000a';

/** The fuzzed requests that answered 500 (issue 7), each now a 4xx problem+json with a stable code. */
describe('inventory refuses bad input at the edge', () => {
  const ns = testNamespace('inventory-edge');
  let svc: RunningTestService<InventoryConfig>;
  let supplierKey: string;

  beforeAll(async () => {
    svc = await startTestService(inventoryService, { schema: ns.schema, serviceName: 'inventory', topicPrefix: ns.topicPrefix });
    supplierKey = (await svc.app.get(ApiKeyService).issue('tenant-edge', ['supplier'])).key;
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const call = (method: string, path: string, key: string, rawBody?: string) =>
    fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': `edge-${method}-${path.length}`, ...(rawBody === undefined ? {} : { 'content-type': 'application/json' }) },
      body: rawBody,
    });

  async function expectProblem(res: Response, status: number, code: string): Promise<void> {
    expect({ status: res.status, contentType: res.headers.get('content-type') }).toEqual({ status, contentType: expect.stringContaining('application/problem+json') });
    expect(await res.json()).toMatchObject({ status, code });
  }

  it('answers 400 to a price body of {}, null or a wrongly typed price', async () => {
    for (const body of ['{}', 'null', '{"askPricePerGpuHour":[]}', '{"askPricePerGpuHour":"1990000"}']) {
      await expectProblem(await call('PUT', `/v1/devices/${SOME_DEVICE}/price`, supplierKey, body), 400, 'VALIDATION.FAILED');
    }
  });

  it('answers 400 to a 36-dash id in a path or a query', async () => {
    await expectProblem(await call('POST', `/v1/ops/dead-letters/${DASHES}/redrive`, svc.opsKey), 400, 'REQUEST.INVALID_ID');
    await expectProblem(await call('GET', `/v1/devices?supplierId=${DASHES}`, supplierKey), 400, 'VALIDATION.FAILED');
    await expectProblem(await call('GET', `/v1/devices/${DASHES}`, supplierKey), 400, 'REQUEST.INVALID_ID');
  });

  it('answers 400 to NUL or control characters in a query value', async () => {
    await expectProblem(await call('GET', '/v1/ops/dead-letters?consumerGroup=%00', svc.opsKey), 400, 'REQUEST.INVALID_CHARACTERS');
    await expectProblem(await call('GET', '/v1/devices?gpuModel=H100%00', supplierKey), 400, 'REQUEST.INVALID_CHARACTERS');
    await expectProblem(await call('GET', '/v1/ops/dead-letters?consumerGroup=a%20b', svc.opsKey), 400, 'DEAD_LETTER.BAD_CONSUMER_GROUP');
  });

  it('answers 400 to a cursor with a bad date or id', async () => {
    const badDate = encodeCursor({ registeredAt: '2026-02-30T00:00:00.000Z', id: SOME_DEVICE });
    const badId = encodeCursor({ registeredAt: '2026-11-25T00:00:00.000Z', id: DASHES });
    for (const cursor of [badDate, badId]) {
      await expectProblem(await call('GET', `/v1/devices?cursor=${cursor}`, supplierKey), 400, 'PAGINATION.INVALID_CURSOR');
      await expectProblem(await call('GET', `/v1/suppliers?cursor=${cursor}`, supplierKey), 400, 'PAGINATION.INVALID_CURSOR');
    }
    const deadLetterCursor = (text: string) => Buffer.from(text).toString('base64url');
    for (const cursor of [deadLetterCursor(`2026-02-30T00:00:00.000000|${SOME_DEVICE}`), deadLetterCursor(`2026-11-25T00:00:00.000000|${DASHES}`), '%00']) {
      const res = await call('GET', `/v1/ops/dead-letters?cursor=${cursor}`, svc.opsKey);
      expect({ cursor, status: res.status }).toEqual({ cursor, status: 400 });
    }
    expect((await call('GET', '/v1/ops/dead-letters?limit=5', svc.opsKey)).status).toBe(200);
  });
});
