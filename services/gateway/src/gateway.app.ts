import proxy from '@fastify/http-proxy';
import rateLimit from '@fastify/rate-limit';
import { PROBLEM_CONTENT_TYPE, type Logger, type Problem } from '@ionet/platform';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { loadDocsAssets } from './docs/docs-page';
import type { GatewayConfig } from './gateway.config';
import { gatewayProblem, writeClientError } from './http/gateway-problems';
import { isJsonContentType, jsonShape } from './http/json-shape';
import { newTraceparent } from './http/trace-context';
import { OpenApiCache } from './openapi/openapi-cache';
import { UPSTREAM_SERVICES, largestBodyLimitBytes, resolveRoute, type ResolvedRoute } from './routing/route-table';

/** What the edge checks learned about a request, read by the proxy when it picks the upstream. */
interface EdgeState {
  route: ResolvedRoute;
  upstream: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    edge?: EdgeState;
  }
}

/**
 * A loose shape of our keys (`ionet_<scope>_<random>`): anything else cannot be a key, so it is
 * refused here without costing a service a database lookup. The services check the exact format.
 */
const KEY_SHAPE = /^ionet_[a-z][a-z_]{1,30}_[A-Za-z0-9_-]{20,128}$/;
const BEARER = /^Bearer +(\S+) *$/i;
const REQUEST_ID = /^[\w.-]{1,128}$/;
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

export interface Gateway {
  app: FastifyInstance;
  openApi: OpenApiCache;
}

/** Builds (does not listen) the gateway. It keeps no business state: routes, limits and the merged docs. */
export async function buildGateway(config: GatewayConfig, logger: Logger): Promise<Gateway> {
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request costs more than the proxying; faults are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req: IncomingMessage) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: largestBodyLimitBytes(config.BODY_LIMIT_BYTES),
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    // Node checks the request timeout every 30 s by default: a slow sender would hold its connection
    // up to 30 s past the limit. Headers get at most 10 s of the request's time.
    http: { connectionsCheckingInterval: 1_000, headersTimeout: Math.min(config.REQUEST_TIMEOUT_MS, 10_000) },
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    // An idle socket is closed; an upstream long poll still fits inside.
    connectionTimeout: config.UPSTREAM_TIMEOUT_MS + 5_000,
    trustProxy: config.TRUST_PROXY,
    clientErrorHandler: writeClientError,
    return503OnClosing: true,
    // A path that does not decode (`%ZZ`) is refused by the router before any handler runs.
    frameworkErrors: (error, _request, reply) => {
      void sendProblem(reply, fastifyErrorProblem(error.statusCode ?? 400, error as FastifyError));
    },
  });
  const openApi = new OpenApiCache(config.GATEWAY_UPSTREAMS, UPSTREAM_SERVICES, logger);
  const docs = loadDocsAssets();

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof EdgeRefusal) return sendProblem(reply, error.problem);
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error, reqId: request.id }, 'gateway fault');
    return sendProblem(reply, fastifyErrorProblem(status, error));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, gatewayProblem(404, 'GATEWAY.ROUTE_NOT_FOUND', `No resource answers ${request.method} ${pathOf(request.url)}.`)),
  );

  // Hooks on every request are callbacks, not async functions: a promise and a microtask less each (ADR 0314).
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    if (request.url.length > config.URL_LENGTH_MAX) {
      void sendProblem(reply, gatewayProblem(414, 'GATEWAY.URI_TOO_LONG', `The request target must stay under ${config.URL_LENGTH_MAX} characters.`));
      return;
    }
    done();
  });

  await app.register(rateLimit, { global: false });
  const windowMs = config.RATE_LIMIT_WINDOW_MS;
  const limiter = (max: number, keyGenerator: (r: FastifyRequest) => string) => {
    // A bigger LRU than the default 5,000 entries, so a flood of random keys cannot evict real callers' windows.
    const check = app.createRateLimit({ max, timeWindow: windowMs, keyGenerator, cache: 100_000 } as Parameters<typeof app.createRateLimit>[0]);
    return async (request: FastifyRequest, increment = true): Promise<{ exceeded: boolean; full: boolean; ttlMs: number }> => {
      const r = await check(request, { increment });
      return 'isExceeded' in r ? { exceeded: r.isExceeded, full: r.remaining === 0 && r.ttl > 0, ttlMs: r.ttl } : { exceeded: false, full: false, ttlMs: 0 };
    };
  };
  const limitByAddress = limiter(config.RATE_LIMIT_PER_ADDRESS, (r) => `a:${r.ip}`);
  const limitByKey = limiter(config.RATE_LIMIT_PER_KEY, (r) => `k:${keyDigest(r)}`);
  const authFailures = limiter(config.RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS, (r) => `f:${r.ip}`);

  app.get('/', async (_request, reply) => reply.send({ docs: '/docs', openapi: '/openapi.json', api: '/v1' }));
  app.get('/health/live', async (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const upstreams = Object.fromEntries(UPSTREAM_SERVICES.map((s) => [s, config.GATEWAY_UPSTREAMS[s] ? 'configured' : 'not configured']));
    return reply.send({ status: 'ok', upstreams });
  });
  app.get('/openapi.json', async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(openApi.json()));
  app.get('/docs', async (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(docs.html));
  app.get<{ Params: { name: string } }>('/docs/assets/:name', async (request, reply) => {
    const file = docs.files[request.params.name];
    if (!file) return sendProblem(reply, gatewayProblem(404, 'GATEWAY.ROUTE_NOT_FOUND', 'No such documentation asset.'));
    return reply.header('content-type', file.contentType).header('cache-control', 'public, max-age=3600').send(file.body);
  });

  await app.register(async (api) => {
    // Bodies are read as bytes under the route's limit and forwarded unchanged: the service parses
    // them once and fingerprints the bytes the caller sent.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
      const bytes = body as Buffer;
      const limit = request.edge?.route.bodyLimitBytes ?? config.BODY_LIMIT_BYTES;
      if (bytes.length > limit) {
        done(new EdgeRefusal(gatewayProblem(413, 'GATEWAY.BODY_TOO_LARGE', `The body must stay under ${limit} bytes.`, { limitBytes: limit })), undefined);
        return;
      }
      if (isJsonContentType(request.headers['content-type'])) {
        const shape = jsonShape(bytes, config.JSON_DEPTH_MAX);
        if (shape === 'not_an_object') {
          done(new EdgeRefusal(gatewayProblem(400, 'GATEWAY.BODY_NOT_AN_OBJECT', 'A JSON body must be an object (or, where documented, an array).')), undefined);
          return;
        }
        if (shape === 'too_deep') {
          done(new EdgeRefusal(gatewayProblem(400, 'GATEWAY.BODY_TOO_DEEP', `A JSON body must not nest deeper than ${config.JSON_DEPTH_MAX} levels.`, { depthMax: config.JSON_DEPTH_MAX })), undefined);
          return;
        }
      }
      done(null, Readable.from([bytes]));
    });

    // A PUT or PATCH replaces or changes a resource with what the body says: without one it says nothing.
    api.addHook('preHandler', (request, reply, done) => {
      if ((request.method === 'PUT' || request.method === 'PATCH') && request.body === undefined) {
        void sendProblem(reply, gatewayProblem(400, 'GATEWAY.BODY_REQUIRED', `${request.method} needs a JSON body.`));
        return;
      }
      done();
    });

    api.addHook('onRequest', async (request, reply) => {
      const route = resolveRoute(pathOf(request.url));
      if (!route) {
        return sendProblem(reply, gatewayProblem(404, 'GATEWAY.ROUTE_NOT_FOUND', `No resource answers ${request.method} ${pathOf(request.url)}.`));
      }
      const limit = route.bodyLimitBytes ?? config.BODY_LIMIT_BYTES;
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > limit) {
        void reply.header('connection', 'close');
        return sendProblem(reply, gatewayProblem(413, 'GATEWAY.BODY_TOO_LARGE', `The body must stay under ${limit} bytes.`, { limitBytes: limit }));
      }
      const byAddress = await limitByAddress(request);
      if (byAddress.exceeded) return tooMany(reply, 'address', byAddress.ttlMs);
      const key = extractKey(request);
      if (key === 'malformed') {
        void reply.header('www-authenticate', 'Bearer realm="ionet", error="invalid_token"');
        return sendProblem(reply, gatewayProblem(401, 'AUTH.INVALID_API_KEY', 'The API key is malformed: send "Authorization: Bearer ionet_<scope>_<key>".'));
      }
      if (key !== undefined) {
        const failures = await authFailures(request, false);
        if (failures.exceeded || failures.full) return tooMany(reply, 'address', failures.ttlMs, 'Too many requests with unknown or revoked keys from this address.');
        const byKey = await limitByKey(request);
        if (byKey.exceeded) return tooMany(reply, 'key', byKey.ttlMs);
      }
      const upstream = config.GATEWAY_UPSTREAMS[route.service];
      if (!upstream) {
        void reply.header('retry-after', '30');
        return sendProblem(reply, gatewayProblem(503, 'GATEWAY.SERVICE_UNAVAILABLE', `The ${route.service} service is not available.`, { service: route.service }));
      }
      request.edge = { route, upstream };
    });

    // Only a 401 from a service counts: that key cost it a lookup. Malformed keys never got that far.
    api.addHook('onResponse', (request, reply, done) => {
      if (reply.statusCode === 401 && request.edge) {
        authFailures(request).then(
          () => done(),
          (err: Error) => done(err),
        );
        return;
      }
      done();
    });

    const replyOptions = {
      getUpstream: (request: FastifyRequest) => request.edge?.upstream ?? 'http://127.0.0.1:9',
      // A failed GET is not retried here: the caller decides, and a struggling service is not hit ten times.
      retryDelay: () => null,
      rewriteRequestHeaders: (request: FastifyRequest, headers: Record<string, string | string[] | undefined>) => {
        const out: Record<string, string | string[] | undefined> = { ...headers, 'x-request-id': request.id };
        if (typeof headers.traceparent !== 'string' || !TRACEPARENT.test(headers.traceparent)) {
          out.traceparent = newTraceparent();
          delete out.tracestate;
        }
        const forwarded = headers['x-forwarded-for'];
        out['x-forwarded-for'] = config.TRUST_PROXY && typeof forwarded === 'string' ? `${forwarded}, ${request.socket.remoteAddress}` : request.ip;
        out['x-forwarded-proto'] = request.protocol;
        return out;
      },
      onError: (reply: FastifyReply, { error }: { error: Error & { code?: string; cause?: { code?: string } } }) => {
        void sendProblem(reply, upstreamFailure(reply.request, error));
      },
      onResponse: (request: FastifyRequest, reply: FastifyReply, res: { statusCode: number; headers: Record<string, unknown>; stream: Readable }) => {
        const type = String(res.headers['content-type'] ?? '');
        if (res.statusCode < 400 || type.startsWith(PROBLEM_CONTENT_TYPE)) {
          const length = Number(res.headers['content-length'] ?? -1);
          if (length >= 0 && length <= BUFFERED_BODY_MAX_BYTES) sendBuffered(request, reply, res.stream);
          else void reply.send(res.stream);
          return;
        }
        // Every error leaving the gateway is problem+json, even one a service's HTTP server wrote itself.
        res.stream.resume();
        reply.removeHeader('content-length');
        if (res.statusCode >= 500) request.log.warn({ service: request.edge?.route.service, status: res.statusCode }, 'upstream error that is not problem+json');
        void sendProblem(reply, gatewayProblem(res.statusCode, 'GATEWAY.UPSTREAM_ERROR', `The ${request.edge?.route.service ?? ''} service refused the request.`));
      },
    };
    const common = {
      upstream: '',
      proxyPayloads: false,
      disableRequestLogging: true,
      undici: {
        connections: config.UPSTREAM_CONNECTIONS,
        pipelining: 1,
        keepAliveTimeout: 4_000,
        headersTimeout: config.UPSTREAM_TIMEOUT_MS,
        bodyTimeout: config.UPSTREAM_TIMEOUT_MS,
        connectTimeout: 2_000,
      },
      replyOptions,
    };
    // The hooks above are typed for Fastify's default HTTP/1 server; the proxy's types allow HTTP/2 too.
    type ProxyOptions = Parameters<typeof proxy>[1];
    await api.register(proxy, { ...common, prefix: '/v1/ops/:service', rewritePrefix: '/v1/ops' } as unknown as ProxyOptions);
    await api.register(proxy, { ...common, prefix: '/v1', rewritePrefix: '/v1' } as unknown as ProxyOptions);
  });

  return { app, openApi };
}

/** An upstream answer up to this size (declared by its Content-Length) is read whole and written
 *  with its headers in one go; larger or unsized ones stream (ADR 0315). */
const BUFFERED_BODY_MAX_BYTES = 256 * 1_024;

/** Reads a sized upstream body whole, then answers it: no stream pipeline per answer. A body that
 *  breaks off before its end is a 502, as a refused connection would be. */
function sendBuffered(request: FastifyRequest, reply: FastifyReply, body: Readable): void {
  const chunks: Buffer[] = [];
  body.on('data', (chunk: Buffer) => chunks.push(chunk));
  body.once('end', () => void reply.send(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
  body.once('error', (error: Error & { code?: string; cause?: { code?: string } }) => {
    if (reply.sent) return;
    reply.removeHeader('content-length');
    void sendProblem(reply, upstreamFailure(request, error));
  });
}

/** A refusal decided while reading the body, carried to the error handler as the problem to send. */
class EdgeRefusal extends Error {
  constructor(readonly problem: Problem) {
    super(problem.code);
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

function tooMany(reply: FastifyReply, scope: 'key' | 'address', ttlMs: number, detail?: string): FastifyReply {
  const retryAfterS = Math.max(1, Math.ceil(ttlMs / 1_000));
  void reply.header('retry-after', String(retryAfterS));
  return sendProblem(
    reply,
    gatewayProblem(429, 'GATEWAY.RATE_LIMITED', detail ?? `Too many requests for this ${scope === 'key' ? 'API key' : 'address'}; retry after ${retryAfterS} s.`, {
      scope,
      retryAfterSeconds: retryAfterS,
    }),
  );
}

/** The key a request carries: undefined when none, 'malformed' when it cannot be one of ours. */
function extractKey(request: FastifyRequest): string | undefined | 'malformed' {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^bearer\b/i.test(header)) {
    const match = BEARER.exec(header);
    return match && KEY_SHAPE.test(match[1]!) ? match[1]! : 'malformed';
  }
  const apiKey = request.headers['x-api-key'];
  if (apiKey === undefined) return undefined;
  return typeof apiKey === 'string' && KEY_SHAPE.test(apiKey.trim()) ? apiKey.trim() : 'malformed';
}

/** Keys are counted by digest, so the limiter's memory never holds a usable key. */
function keyDigest(request: FastifyRequest): string {
  const key = extractKey(request);
  return createHash('sha256').update(String(key)).digest('base64url').slice(0, 22);
}

function fastifyErrorProblem(status: number, error: FastifyError): Problem {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return gatewayProblem(413, 'GATEWAY.BODY_TOO_LARGE', error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return gatewayProblem(415, 'GATEWAY.UNSUPPORTED_MEDIA_TYPE', 'Send bodies as application/json.');
    case 'FST_ERR_BAD_URL':
      return gatewayProblem(400, 'GATEWAY.MALFORMED_URL', 'The path is not a valid percent-encoded URL.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return gatewayProblem(400, 'GATEWAY.MALFORMED_REQUEST', 'The Content-Length does not match the body.');
    default:
      return status === 500
        ? gatewayProblem(500, 'GATEWAY.INTERNAL', 'The gateway failed; the request id identifies the failure in our logs.')
        : gatewayProblem(status, 'GATEWAY.BAD_REQUEST', 'The request could not be read.');
  }
}

/** A service that cannot be reached is 503 (retry later), one that does not answer in time 504,
 *  one that breaks the connection 502; none of them names internals. */
function upstreamFailure(request: FastifyRequest, error: Error & { code?: string; cause?: { code?: string } }): Problem {
  const service = request.edge?.route.service ?? 'upstream';
  const cause = error.cause?.code ?? error.code ?? '';
  request.log.warn({ service, cause, err: error.message }, 'upstream failed');
  if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'EAI_AGAIN' || cause === 'UND_ERR_CONNECT_TIMEOUT' || /SERVICE_UNAVAILABLE/.test(error.code ?? '')) {
    return gatewayProblem(503, 'GATEWAY.SERVICE_UNAVAILABLE', `The ${service} service is not reachable.`, { service });
  }
  if (cause === 'UND_ERR_HEADERS_TIMEOUT' || cause === 'UND_ERR_BODY_TIMEOUT' || /TIMEOUT/.test(error.code ?? '')) {
    return gatewayProblem(504, 'GATEWAY.UPSTREAM_TIMEOUT', `The ${service} service did not answer in time.`, { service });
  }
  return gatewayProblem(502, 'GATEWAY.BAD_GATEWAY', `The ${service} service broke the connection.`, { service });
}
