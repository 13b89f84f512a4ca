import { startTestService, testNamespace, type RunningTestService } from '@ionet/testing';
import type { BaseConfig } from '../src/config/config';
import { encodeCursor } from '../src/http/pagination';
import { edgeTestService } from './edge-service.fixture';

const WIDGET = '0190a3c4-0000-7000-8000-00000000000a';
const DASHES = '-'.repeat(36);

describe('the HTTP edge decides what is the caller\'s fault (a real Nest app on Fastify and PostgreSQL)', () => {
  const ns = testNamespace('platform-edge');
  let svc: RunningTestService<BaseConfig>;

  beforeAll(async () => {
    svc = await startTestService(edgeTestService, { schema: ns.schema, serviceName: 'edge-test' });
  });

  afterAll(async () => {
    await svc?.close();
  });

  const call = (method: string, path: string, rawBody?: string) =>
    fetch(`${svc.baseUrl}${path}`, { method, headers: rawBody === undefined ? {} : { 'content-type': 'application/json' }, body: rawBody });

  async function problemOf(res: Response): Promise<{ status: number; code: string; detail?: string; errors?: { field: string; message: string }[] }> {
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    return (await res.json()) as never;
  }

  it('answers 400 VALIDATION.FAILED to a body that is null, empty or holds the wrong type where an object belongs', async () => {
    const cases: [string, string][] = [
      ['{}', 'askPricePerGpuHour'],
      ['null', '(body)'],
      ['[]', '(body)'],
      ['7', '(body)'],
      ['"text"', '(body)'],
      ['{"askPricePerGpuHour":[]}', 'askPricePerGpuHour'],
      ['{"askPricePerGpuHour":[{"amountBaseUnits":"1","asset":"USDC"}]}', 'askPricePerGpuHour'],
      ['{"askPricePerGpuHour":null}', 'askPricePerGpuHour'],
      ['{"askPricePerGpuHour":"1"}', 'askPricePerGpuHour'],
      ['{"askPricePerGpuHour":{}}', 'askPricePerGpuHour.amountBaseUnits'],
      ['{"askPricePerGpuHour":{"amountBaseUnits":"1","asset":"USDC"},"floorPricePerGpuHour":[]}', 'floorPricePerGpuHour'],
    ];
    for (const [body, field] of cases) {
      const res = await call('PUT', `/v1/widgets/${WIDGET}/price`, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      const problem = await problemOf(res);
      expect(problem.code).toBe('VALIDATION.FAILED');
      expect(problem.errors?.map((e) => e.field)).toContain(field);
    }
    const ok = await call('PUT', `/v1/widgets/${WIDGET}/price`, '{"askPricePerGpuHour":{"amountBaseUnits":"1990000","asset":"USDC"}}');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ widgetId: WIDGET, amountBaseUnits: '1990000' });
  });

  it('answers 400 to path and query ids that are not UUIDs, even when the DTO only checked their length', async () => {
    const path = await call('PUT', `/v1/widgets/${DASHES}/price`, '{"askPricePerGpuHour":{"amountBaseUnits":"1","asset":"USDC"}}');
    expect(path.status).toBe(400);
    expect(await problemOf(path)).toMatchObject({ code: 'REQUEST.INVALID_ID' });

    const query = await call('GET', `/v1/widgets?ownerId=${DASHES}`);
    expect(query.status).toBe(400);
    expect((await problemOf(query)).errors).toEqual([{ field: 'ownerId', message: 'ownerId must be a UUID' }]);
    expect((await call('GET', `/v1/widgets?ownerId=${WIDGET}`)).status).toBe(200);
  });

  it('answers 400 REQUEST.INVALID_CHARACTERS to NUL and control characters in query, path and body values', async () => {
    for (const path of ['/v1/widgets?label=%00', '/v1/widgets?label=a%01b', '/v1/widgets/a%00b']) {
      const res = await call('GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(await problemOf(res)).toMatchObject({ code: 'REQUEST.INVALID_CHARACTERS' });
    }
    const body = await call('PUT', `/v1/widgets/${WIDGET}/price`, '{"askPricePerGpuHour":{"amountBaseUnits":"1","asset":"USDC\\u0000"}}');
    expect(await problemOf(body)).toMatchObject({ status: 400, code: 'REQUEST.INVALID_CHARACTERS', errors: [{ field: 'askPricePerGpuHour.asset' }] });
    const surrogate = await call('PUT', `/v1/widgets/${WIDGET}/price`, '{"askPricePerGpuHour":{"amountBaseUnits":"1","asset":"\\ud800"}}');
    expect(await problemOf(surrogate)).toMatchObject({ status: 400, code: 'REQUEST.INVALID_CHARACTERS' });
    expect((await call('GET', '/v1/widgets?label=GPU%20rack%207')).status).toBe(200);
  });

  it('answers 400 PAGINATION.INVALID_CURSOR to a cursor with a bad date or id, and pages with a good one', async () => {
    const first = await call('GET', '/v1/widgets');
    const { nextCursor } = (await first.json()) as { nextCursor: string };
    expect((await call('GET', `/v1/widgets?cursor=${nextCursor}`)).status).toBe(200);
    const forged = [
      encodeCursor({ registeredAt: '2026-02-30T00:00:00.000Z', id: WIDGET }),
      encodeCursor({ registeredAt: 'soon', id: WIDGET }),
      encodeCursor({ registeredAt: '2026-11-25T00:00:00.000Z', id: DASHES }),
      encodeCursor({ registeredAt: '2026-11-25T00:00:00.000Z', id: 'x' }),
      'bm90IGpzb24',
    ];
    for (const cursor of forged) {
      const res = await call('GET', `/v1/widgets?cursor=${cursor}`);
      expect({ cursor, status: res.status }).toEqual({ cursor, status: 400 });
      expect(await problemOf(res)).toMatchObject({ code: 'PAGINATION.INVALID_CURSOR' });
    }
  });

  it('answers library, contract and transaction faults as 500 INTERNAL naming no internals, and a running rebuild as 409', async () => {
    for (const [index, code] of ['TRANSACTION.ROLLED_BACK', 'EVENT_STORE.UNKNOWN_EVENT_TYPE', 'CONTRACT.MISSING_FIELD'].entries()) {
      const res = await call('GET', `/v1/faults/${index}`);
      expect({ code, status: res.status }).toEqual({ code, status: 500 });
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ code: 'INTERNAL' });
      expect(text).not.toMatch(/events_7f3a|inv_secret|TRANSACTION|EVENT_STORE|CONTRACT/);
    }
    const rebuilding = await call('GET', '/v1/faults/3');
    expect(rebuilding.status).toBe(409);
    expect(await problemOf(rebuilding)).toMatchObject({ code: 'PROJECTION.REBUILD_IN_PROGRESS' });
  });
});
