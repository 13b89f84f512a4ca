import { ParseUuidPipe, PlatformValidationPipe, PageQueryDto } from '@ionet/platform';
import { DeviceQueryDto } from './device.dto';
import { deviceQuery, pageQuery } from './fast-reads';

const ID = '0b6a4a6e-5a47-4f37-9f0e-3e8f1b1e6a11';

/** What the Nest route's validation pipe makes of a query: the DTO as a plain object, or 'refused'. */
async function throughPipe(metatype: typeof DeviceQueryDto | typeof PageQueryDto, query: Record<string, unknown>): Promise<Record<string, unknown> | 'refused'> {
  try {
    const dto = (await new PlatformValidationPipe().transform(query, { type: 'query', metatype, data: undefined })) as object;
    return { ...dto };
  } catch {
    return 'refused';
  }
}

// Queries the fast path must take (the bench's and the catalogue's usual reads), and edge cases it
// may decline (then the Nest route answers them exactly as before).
const queries: Record<string, unknown>[] = [
  {},
  { limit: '20' },
  { limit: '1' },
  { limit: '200' },
  { limit: '201' },
  { limit: '0' },
  { limit: '020' },
  { limit: '2e1' },
  { limit: ' 20' },
  { limit: '-1' },
  { limit: '' },
  { limit: ['10', '20'] },
  { cursor: 'eyJyZWdpc3RlcmVkQXQiOiIyMDI2In0' },
  { cursor: '' },
  { cursor: 'not base64!' },
  { supplierId: ID },
  { supplierId: ID.toUpperCase() },
  { supplierId: 'nope' },
  { supplierId: '' },
  { gpuModel: 'H100' },
  { gpuModel: 'RTX 4090' },
  { gpuModel: '' },
  { gpuModel: 'x'.repeat(64) },
  { gpuModel: 'x'.repeat(65) },
  { gpuModel: 'H100\u0000' },
  { gpuModel: 'H100\n' },
  { gpuModel: 'Grafikkarte \u00e9' },
  { status: 'pending' },
  { status: 'cluster_ready' },
  { status: 'bogus' },
  { status: '' },
  { status: 'PENDING' },
  { countryCode: 'DE' },
  { countryCode: 'de' },
  { countryCode: 'DEU' },
  { countryCode: 'D1' },
  { unknown: 'x' },
  { limit: '20', supplierId: ID, gpuModel: 'A100', countryCode: 'us', cursor: 'abc_-' },
  { limit: '20', extra: '1' },
];

describe('the fast reads take a query only as the Nest route would', () => {
  it.each(queries.map((q) => [JSON.stringify(q), q]))('devices %s', async (_name, query) => {
    const fast = deviceQuery(query);
    const nest = await throughPipe(DeviceQueryDto, query as Record<string, unknown>);
    // Declining is always safe (the Nest route answers); accepting must mean the same input.
    if (fast !== undefined) expect({ ...fast }).toEqual(nest);
  });

  it.each(queries.map((q) => [JSON.stringify(q), q]))('suppliers %s', async (_name, query) => {
    const fast = pageQuery(query);
    const nest = await throughPipe(PageQueryDto, query as Record<string, unknown>);
    if (fast !== undefined) expect({ ...fast }).toEqual(nest);
  });

  it('takes the usual reads itself (else it would save nothing)', () => {
    expect(deviceQuery({ limit: '20' })).toEqual({ limit: 20 });
    expect(deviceQuery({})).toEqual({});
    expect(deviceQuery({ limit: '50', supplierId: ID, status: 'leased', gpuModel: 'H100', countryCode: 'DE' })).toEqual({ limit: 50, supplierId: ID, status: 'leased', gpuModel: 'H100', countryCode: 'DE' });
    expect(pageQuery({ limit: '20', cursor: 'abc' })).toEqual({ limit: 20, cursor: 'abc' });
  });

  it('declines every query the pipe refuses', async () => {
    for (const query of queries) {
      if ((await throughPipe(DeviceQueryDto, query)) === 'refused') expect(deviceQuery(query)).toBeUndefined();
      if ((await throughPipe(PageQueryDto, query)) === 'refused') expect(pageQuery(query)).toBeUndefined();
    }
  });

  it('reads a path id as ParseUuidPipe does (lower case), and declines what it refuses', async () => {
    const { acceptUuidParam } = await import('@ionet/platform');
    const pipe = new ParseUuidPipe();
    for (const id of [ID, ID.toUpperCase()]) expect(acceptUuidParam({ deviceId: id }, 'deviceId')).toBe(pipe.transform(id, { type: 'param', data: 'deviceId' }));
    for (const id of ['nope', '', `${ID}0`, undefined]) expect(acceptUuidParam({ deviceId: id }, 'deviceId')).toBeUndefined();
  });
});
