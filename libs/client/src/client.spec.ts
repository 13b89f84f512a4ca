import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { allPages, createIonetClient, IonetProblemError, unwrap } from './client';

const json = (status: number, body: unknown, type = 'application/json') => new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

describe('the typed client', () => {
  it('sends the key as a bearer token to the gateway path, and a caller header wins', async () => {
    const seen: Request[] = [];
    const fetch = async (input: Request | string | URL) => {
      seen.push(input as Request);
      return json(200, { organizationId: 'o-1', scopes: ['customer'] });
    };
    const client = createIonetClient({ baseUrl: 'http://gateway.test/', apiKey: 'ionet_abc', fetch: fetch as typeof globalThis.fetch });
    expect(unwrap(await client.GET('/v1/me'))).toEqual({ organizationId: 'o-1', scopes: ['customer'] });
    expect(seen[0]!.url).toBe('http://gateway.test/v1/me');
    expect(seen[0]!.headers.get('authorization')).toBe('Bearer ionet_abc');
    await client.GET('/v1/me', { headers: { authorization: 'Bearer ionet_other' } });
    expect(seen[1]!.headers.get('authorization')).toBe('Bearer ionet_other');
  });

  it('turns a problem answer into an IonetProblemError with its stable code, and any other error into HTTP.<status>', async () => {
    const problem = { type: 'about:blank', title: 'Not Found', status: 404, code: 'DEVICE.NOT_FOUND', detail: 'no such device' };
    const client = createIonetClient({ baseUrl: 'http://gateway.test', fetch: (async () => json(404, problem, 'application/problem+json')) as typeof globalThis.fetch });
    const result = await client.GET('/v1/me');
    expect(() => unwrap(result)).toThrow(IonetProblemError);
    expect(() => unwrap(result)).toThrow('404 DEVICE.NOT_FOUND: no such device');
    const plain = createIonetClient({ baseUrl: 'http://gateway.test', fetch: (async () => new Response('bad gateway', { status: 502 })) as typeof globalThis.fetch });
    let error: unknown;
    try {
      unwrap(await plain.GET('/v1/me'));
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ status: 502, code: 'HTTP.502' });
  });

  it('walks cursor pages to the end', async () => {
    const pages: Record<string, { items: number[]; nextCursor?: string }> = { first: { items: [1, 2], nextCursor: 'b' }, b: { items: [3], nextCursor: 'c' }, c: { items: [] } };
    const seen: number[] = [];
    for await (const n of allPages(async (cursor) => pages[cursor ?? 'first']!)) seen.push(n);
    expect(seen).toEqual([1, 2, 3]);
    await expect(async () => {
      for await (const n of allPages(async () => ({ items: [0], nextCursor: 'again' }), 3)) void n;
    }).rejects.toThrow('stopped after 3 pages');
  });
});

describe('the generated sources', () => {
  it('are current with the OpenAPI snapshot (npm run client:generate)', () => {
    const { status, stderr } = spawnSync(process.execPath, [join(__dirname, '../scripts/generate.mjs'), '--check'], { encoding: 'utf8' });
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  });
});
