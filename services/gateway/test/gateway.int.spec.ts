import { PROBLEM_CONTENT_TYPE, createLogger } from '@ionet/platform';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { buildGateway, type Gateway } from '../src/gateway.app';
import { loadGatewayConfig } from '../src/gateway.config';

/**
 * The gateway in front of a real HTTP service on a real port (a small Fastify app standing in for
 * governance, which is not built yet, so each answer the gateway must handle can be provoked), and
 * in front of a port where nothing listens. The scenario through the real services is in e2e/.
 */
describe('gateway', () => {
  let upstream: FastifyInstance;
  let upstreamUrl: string;
  let gateway: Gateway;
  let base: string;
  const key = (label: string) => `ionet_customer_${label}${randomBytes(24).toString('base64url')}`;
  const keyA = key('a');
  const keyB = key('b');
  const unknownKey = () => `ionet_customer_unknown${randomBytes(24).toString('base64url')}`;

  beforeAll(async () => {
    upstream = Fastify();
    upstream.removeAllContentTypeParsers();
    upstream.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    upstream.get('/openapi.json', async () => ({
      openapi: '3.0.0',
      paths: {
        '/v1/proposals': { get: { operationId: 'listProposals', responses: {} } },
        '/v1/ops/projections': { get: { operationId: 'projections', responses: {} } },
        '/health/ready': { get: { responses: {} } },
      },
    }));
    upstream.get('/v1/proposals/plain-error', async (_req, reply) => reply.code(414).send({ statusCode: 414, error: 'URI Too Long' }));
    upstream.get('/v1/proposals/problem', async (_req, reply) =>
      reply.code(409).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify({ status: 409, code: 'GOVERNANCE.CONFLICT', title: 'Conflict' })),
    );
    // Declares 1,000 bytes, sends a few, and breaks the connection.
    upstream.get('/v1/proposals/broken', (_req, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      reply.raw.write('{"items":[', () => reply.raw.socket?.destroy());
    });
    upstream.get('/v1/proposals/slow', async () => {
      await new Promise((r) => setTimeout(r, 2_500));
      return { late: true };
    });
    const echo = async (req: { method: string; url: string; headers: Record<string, unknown>; body?: unknown }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
      if (String(req.headers.authorization ?? '').includes('unknown')) return reply.code(401).send({ code: 'AUTH.INVALID_API_KEY' });
      return { method: req.method, url: req.url, headers: req.headers, bodyBytes: Buffer.isBuffer(req.body) ? req.body.length : 0, body: Buffer.isBuffer(req.body) ? req.body.toString('utf8') : null };
    };
    upstream.all('/v1/proposals', echo);
    upstream.all('/v1/ops/*', echo);
    upstream.all('/v1/proposals/*', echo);
    upstreamUrl = await upstream.listen({ host: '127.0.0.1', port: 0 });

    const config = loadGatewayConfig({
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
      GATEWAY_UPSTREAMS: `governance=${upstreamUrl},inventory=http://127.0.0.1:9`,
      UPSTREAM_TIMEOUT_MS: '1000',
      RATE_LIMIT_PER_KEY: '20',
      RATE_LIMIT_PER_ADDRESS: '100000',
      RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS: '5',
      RATE_LIMIT_WINDOW_MS: '60000',
      REQUEST_TIMEOUT_MS: '1500',
    });
    gateway = await buildGateway(config, createLogger('gateway', 'silent'));
    base = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    await gateway.openApi.refresh();
  });

  afterAll(async () => {
    await gateway?.app.close();
    await upstream?.close();
  });

  const expectProblem = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status, code });
    return body;
  };

  it('forwards method, path, query and body bytes, and passes request id and trace context through', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const body = '{"title":"Lower fees","actions":[{"a":1}]}';
    const res = await fetch(`${base}/v1/proposals?limit=5&cursor=abc`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json', 'x-request-id': 'req-123', traceparent, tracestate: 'ionet=1' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    const echoed = (await res.json()) as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(echoed).toMatchObject({ method: 'POST', url: '/v1/proposals?limit=5&cursor=abc', body });
    expect(echoed.headers).toMatchObject({ 'x-request-id': 'req-123', traceparent, tracestate: 'ionet=1', authorization: `Bearer ${keyA}`, 'x-forwarded-for': '127.0.0.1' });
  });

  it('starts a trace when the caller sends none, and makes a request id when the caller sends a bad one', async () => {
    const res = await fetch(`${base}/v1/proposals`, { headers: { authorization: `Bearer ${keyB}`, 'x-request-id': 'bad id with spaces' } });
    const echoed = (await res.json()) as { headers: Record<string, string> };
    expect(echoed.headers.traceparent).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);
    expect(echoed.headers['x-request-id']).toMatch(/^[\da-f-]{36}$/);
    expect(res.headers.get('x-request-id')).toBe(echoed.headers['x-request-id']);
  });

  it('routes /v1/ops/{service}/... to that service\'s /v1/ops/...', async () => {
    const res = await fetch(`${base}/v1/ops/governance/projections/x/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${keyB}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe('/v1/ops/projections/x/rebuild');
    await expectProblem(await fetch(`${base}/v1/ops/warehouse/projections`), 404, 'GATEWAY.ROUTE_NOT_FOUND');
  });

  it('passes a service\'s problem through and turns any other error answer into problem+json', async () => {
    await expectProblem(await fetch(`${base}/v1/proposals/problem`), 409, 'GOVERNANCE.CONFLICT');
    await expectProblem(await fetch(`${base}/v1/proposals/plain-error`), 414, 'GATEWAY.UPSTREAM_ERROR');
  });

  it('answers 503 for a service that is not deployed or not listening, 504 for one too slow', async () => {
    const missing = await fetch(`${base}/v1/clusters`);
    expect(missing.headers.get('retry-after')).toBe('30');
    expect(await expectProblem(missing, 503, 'GATEWAY.SERVICE_UNAVAILABLE')).toMatchObject({ service: 'leasing' });
    expect(await expectProblem(await fetch(`${base}/v1/devices`), 503, 'GATEWAY.SERVICE_UNAVAILABLE')).toMatchObject({ service: 'inventory' });
    await expectProblem(await fetch(`${base}/v1/proposals/slow`), 504, 'GATEWAY.UPSTREAM_TIMEOUT');
  });

  it('answers a service\'s sized body whole, and 502 for one that breaks off before its end', async () => {
    const whole = await fetch(`${base}/v1/proposals?page=1`, { headers: { authorization: `Bearer ${keyA}` } });
    expect(whole.status).toBe(200);
    const text = await whole.text();
    expect(whole.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toMatchObject({ method: 'GET', url: '/v1/proposals?page=1' });
    await expectProblem(await fetch(`${base}/v1/proposals/broken`), 502, 'GATEWAY.BAD_GATEWAY');
  });

  it('refuses a malformed key or Authorization header without asking the service', async () => {
    const attempts: Record<string, string>[] = [{ authorization: 'Bearer not-a-key' }, { authorization: 'Bearer' }, { 'x-api-key': 'ionet_x' }];
    for (const headers of attempts) {
      const res = await fetch(`${base}/v1/proposals`, { headers });
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
      await expectProblem(res, 401, 'AUTH.INVALID_API_KEY');
    }
  });

  it('limits each key: 429 with Retry-After once the window is spent, other keys unaffected', async () => {
    const own = key('limited');
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 22; i++) {
      const res = await fetch(`${base}/v1/proposals`, { headers: { 'x-api-key': own } });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await expectProblem(limited!, 429, 'GATEWAY.RATE_LIMITED')).toMatchObject({ scope: 'key' });
    expect((await fetch(`${base}/v1/proposals`, { headers: { 'x-api-key': key('other') } })).status).toBe(200);
  });

  it('refuses an address that keeps sending unknown keys (each would cost the service a lookup)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${base}/v1/proposals`, { headers: { authorization: `Bearer ${unknownKey()}` } });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const next = await fetch(`${base}/v1/proposals`, { headers: { authorization: `Bearer ${unknownKey()}` } });
    expect(next.headers.get('retry-after')).toBeTruthy();
    await expectProblem(next, 429, 'GATEWAY.RATE_LIMITED');
  });

  it('caps bodies: declared or streamed over the limit is 413, the agent log route takes more', async () => {
    const big = 'x'.repeat(70_000);
    await expectProblem(await fetch(`${base}/v1/proposals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }), 413, 'GATEWAY.BODY_TOO_LARGE');
    const streamed = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(10_000)));
        controller.close();
      },
    });
    const chunked = await fetch(`${base}/v1/proposals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: streamed, duplex: 'half' } as RequestInit);
    await expectProblem(chunked, 413, 'GATEWAY.BODY_TOO_LARGE');
    const nested = '['.repeat(20) + ']'.repeat(20);
    const passed = await fetch(`${base}/v1/proposals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nested });
    expect(((await passed.json()) as { body: string }).body).toBe(nested);
    // leasing is not deployed here, so a 503 (not a 413) shows the 1 MiB limit let the body through
    const logs = await fetch(`${base}/v1/agent/jobs/j-1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    await expectProblem(logs, 503, 'GATEWAY.SERVICE_UNAVAILABLE');
  });

  it('refuses JSON bodies nested too deep or that are not objects, and PUT without a body, before a service parses them', async () => {
    const post = (body: string) => fetch(`${base}/v1/proposals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await expectProblem(await post('['.repeat(5_000) + ']'.repeat(5_000)), 400, 'GATEWAY.BODY_TOO_DEEP')).toMatchObject({ depthMax: 32 });
    await expectProblem(await post('{"a":'.repeat(100) + '1' + '}'.repeat(100)), 400, 'GATEWAY.BODY_TOO_DEEP');
    for (const body of ['null', '"text"', '42']) await expectProblem(await post(body), 400, 'GATEWAY.BODY_NOT_AN_OBJECT');
    await expectProblem(await fetch(`${base}/v1/proposals/p-1`, { method: 'PUT' }), 400, 'GATEWAY.BODY_REQUIRED');
    const text = await fetch(`${base}/v1/proposals`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'null' });
    expect(((await text.json()) as { body: string }).body).toBe('null');
  });

  it('answers the HTTP server\'s own refusals as problem+json: 414, 431, 400', async () => {
    await expectProblem(await fetch(`${base}/v1/proposals?q=${'a'.repeat(9_000)}`), 414, 'GATEWAY.URI_TOO_LONG');
    const raw = async (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(base).port), '127.0.0.1');
        let data = '';
        socket.on('data', (d) => (data += d.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
        socket.write(request);
      });
    const tooLarge = await raw(`GET /v1/proposals HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(tooLarge).toMatch(/^HTTP\/1\.1 431 /);
    expect(tooLarge).toContain(`content-type: ${PROBLEM_CONTENT_TYPE}`);
    expect(JSON.parse(tooLarge.split('\r\n\r\n')[1]!)).toMatchObject({ code: 'GATEWAY.HEADERS_TOO_LARGE' });
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.split('\r\n\r\n')[1]!)).toMatchObject({ code: 'GATEWAY.MALFORMED_REQUEST' });
  });

  it('cuts a sender too slow to finish its request with a 408 problem, instead of holding the connection', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(base).port), '127.0.0.1');
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      // The headers promise 1,000 bytes; one arrives, the rest never does.
      socket.write('POST /v1/proposals HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(answer.split('\r\n\r\n')[1]!)).toMatchObject({ code: 'GATEWAY.REQUEST_TIMEOUT' });
  });

  it('serves one merged OpenAPI document and the docs page', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown>; info: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(['/v1/ops/governance/projections', '/v1/proposals']);
    expect(doc.info['x-ionet-services']).toMatchObject({ available: ['governance'] });
    const page = await fetch(`${base}/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/docs/assets/swagger-ui-bundle.js');
    expect((await fetch(`${base}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
    await expectProblem(await fetch(`${base}/docs/assets/nope.js`), 404, 'GATEWAY.ROUTE_NOT_FOUND');
    await expectProblem(await fetch(`${base}/elsewhere`), 404, 'GATEWAY.ROUTE_NOT_FOUND');
  });
});
