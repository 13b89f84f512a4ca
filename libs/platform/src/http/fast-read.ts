import { RequestMethod, type INestApplicationContext, type Type } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { presentedApiKey } from '../auth/api-key.guard';
import { PUBLIC_ROUTE, REQUIRED_SCOPES } from '../auth/auth.decorators';
import type { AuthContext, Scope } from '../auth/scopes';
import { PAGE_LIMIT_MAX } from './pagination';
import { UUID_PATTERN } from './edge-values';
import { ReadCache } from './read-cache';
import { serializeReply } from './reply-serializer';

/** The content type Fastify gives a serialised object: a cached answer carries the same. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A hot read answered outside Nest's guard/pipe/interceptor chain (ADR 0314), on the success path
 * only. It is a second door to one Nest route, not a second route: the path, method and required
 * scopes are read from the controller's own decorators, the answer comes from calling the
 * controller's own method, and the request goes on to the Nest route, which answers as it always
 * did, whenever the fast path is not sure:
 * - no key, a malformed, unknown or revoked key, or a key without the route's scope (401/403 are
 *   Nest's to write);
 * - any query or path value `accept` does not take (every 400 is the validation pipe's to write);
 * - any error the method throws (404s and faults go through the problem filter; a read has no side
 *   effect, so running it again there is safe).
 */
export interface FastRead<C = unknown, I = unknown> {
  controller: Type<C>;
  /** The controller method of the Nest route (a GET). */
  method: keyof C & string;
  /** The input the route's pipes would hand the method, or undefined to let the Nest route decide.
   *  It may decline more than the pipes refuse, never accept what they refuse. */
  accept(request: { query: unknown; params: unknown }): I | undefined;
  /** Calls the method as Nest would, with the caller and the accepted input. */
  call(controller: C, caller: AuthContext, input: I): Promise<unknown>;
  /**
   * Answers kept in memory while the data behind them is unchanged (ADR 0315): resolves, once at
   * start-up, the change epoch of that data (for a projection, `ProjectionsService.changeEpoch`).
   * Only for a read whose answer depends on nothing but the URL and the caller's tenant and scopes.
   */
  cacheBy?(app: INestApplicationContext): () => number | undefined;
}

/** A fast read of any controller, as a service lists them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry is checked by fastRead() where it is written
export type AnyFastRead = FastRead<any, any>;

/** Typed construction of a FastRead (the controller's method and its input checked together). */
export function fastRead<C, I>(read: FastRead<C, I>): FastRead<C, I> {
  return read;
}

interface InstalledRead {
  read: FastRead;
  instance: unknown;
  scopes: readonly Scope[] | undefined;
  counter: { inc(): void };
  cache?: { store: ReadCache; epoch: () => number | undefined; hits: { inc(): void } };
}

export interface FastReadOptions {
  /** Bytes of answers each cached read keeps at most (0: no cache). */
  cacheMaxBytes: number;
}

/** The Fastify route (`/v1/devices/:deviceId`) of a controller method, from Nest's metadata. */
export function nestRouteOf(controller: Type<unknown>, method: string): { url: string; requestMethod: RequestMethod } {
  const handler = (controller.prototype as Record<string, unknown>)[method];
  if (typeof handler !== 'function') throw new Error(`${controller.name}.${method} is not a method`);
  const parts = [Reflect.getMetadata(PATH_METADATA, controller), Reflect.getMetadata(PATH_METADATA, handler)] as unknown[];
  if (parts.some((p) => Array.isArray(p))) throw new Error(`${controller.name}.${method}: a route with several paths cannot be a fast read`);
  const url = `/${parts
    .map((p) => String(p ?? '').replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
  return { url, requestMethod: Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod };
}

/**
 * Installs the fast reads as one `onRequest` hook, registered after the edge guards (so key-in-query,
 * rate limits and refused-credential budgets still come first). Throws at start-up when a read names
 * a route it cannot stand in for: not a GET, public, or with its own guards, interceptors or pipes.
 */
export function installFastReads(
  fastify: FastifyInstance,
  app: INestApplicationContext,
  reads: readonly AnyFastRead[],
  authenticate: (key: string) => AuthContext | undefined,
  registry: Registry,
  options: FastReadOptions = { cacheMaxBytes: 0 },
): void {
  if (reads.length === 0) return;
  // How many requests each fast read answered; the rest of the route's requests went through Nest.
  const answered = new Counter({ name: 'http_fast_reads_total', help: 'Requests answered by a fast read (outside the Nest chain)', labelNames: ['route'], registers: [registry] });
  const cacheHits = new Counter({ name: 'http_fast_read_cache_hits_total', help: 'Fast reads answered from the read cache (ADR 0315)', labelNames: ['route'], registers: [registry] });
  const byUrl = new Map<string, InstalledRead>();
  for (const read of reads) {
    const { url, requestMethod } = nestRouteOf(read.controller, read.method);
    const handler = (read.controller.prototype as Record<string, unknown>)[read.method] as object;
    const name = `${read.controller.name}.${read.method}`;
    if (requestMethod !== RequestMethod.GET) throw new Error(`${name} is not a GET route: only reads can be fast reads`);
    if (Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, read.controller)) throw new Error(`${name} is public: fast reads are for authenticated routes`);
    for (const key of [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA]) {
      if (Reflect.getMetadata(key, handler) || Reflect.getMetadata(key, read.controller)) throw new Error(`${name} has its own ${key}: the fast path would skip them`);
    }
    const scopes = (Reflect.getMetadata(REQUIRED_SCOPES, handler) ?? Reflect.getMetadata(REQUIRED_SCOPES, read.controller)) as Scope[] | undefined;
    const cache = read.cacheBy && options.cacheMaxBytes > 0 ? { store: new ReadCache(options.cacheMaxBytes), epoch: read.cacheBy(app), hits: cacheHits.labels(url) } : undefined;
    byUrl.set(url, { read, instance: app.get(read.controller), scopes, counter: answered.labels(url), ...(cache ? { cache } : {}) });
  }

  fastify.addHook('onRequest', (request: FastifyRequest & { auth?: AuthContext }, reply: FastifyReply, done: (err?: Error) => void) => {
    if (request.method !== 'GET') return done();
    const installed = byUrl.get(request.routeOptions.url ?? '');
    if (!installed) return done();
    const key = presentedApiKey(request);
    if (typeof key !== 'string') return done();
    const caller = authenticate(key);
    if (!caller || (installed.scopes && !installed.scopes.some((s) => caller.scopes.includes(s)))) return done();
    // The answer depends on the URL and on whose data the caller sees (its tenant, or all for ops).
    const cache = installed.cache;
    const epoch = cache?.epoch();
    const cacheKey = epoch === undefined ? '' : `${caller.tenantId}\n${caller.scopes.join(',')}\n${request.url}`;
    if (epoch !== undefined) {
      // A URL stored before passed `accept` then; the same URL passes it now.
      const body = cache!.store.get(cacheKey, epoch);
      if (body) {
        request.auth = caller;
        installed.counter.inc();
        cache!.hits.inc();
        void reply.header('content-type', JSON_CONTENT_TYPE).send(body);
        return;
      }
    }
    let input: unknown;
    try {
      input = installed.read.accept({ query: request.query, params: request.params });
    } catch {
      input = undefined;
    }
    if (input === undefined) return done();
    request.auth = caller;
    let answer: Promise<unknown>;
    try {
      answer = installed.read.call(installed.instance, caller, input);
    } catch {
      return done();
    }
    answer.then(
      (body) => {
        installed.counter.inc();
        if (epoch === undefined) {
          void reply.send(body);
          return;
        }
        // Serialised here, as the reply serializer would, so the same bytes can answer again.
        let bytes: Buffer;
        try {
          bytes = Buffer.from(serializeReply(body));
        } catch {
          void reply.send(body);
          return;
        }
        cache!.store.set(cacheKey, bytes, epoch, cache!.epoch());
        void reply.header('content-type', JSON_CONTENT_TYPE).send(bytes);
      },
      () => done(),
    );
  });
}

/** What a fast read accepts of one query value: the same rules as the DTO's decorators, or narrower. */
export type QueryValueRule = 'uuid' | 'pageLimit' | 'cursor' | { text: [min: number, max: number] } | { oneOf: readonly string[] } | RegExp;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const CURSOR_CHARS = /^[A-Za-z0-9_-]{1,1024}$/;
const PAGE_LIMIT = /^[1-9][0-9]{0,2}$/;

/**
 * A compiled check of a query DTO (no class-transformer, no class-validator): every present key
 * must have a rule and pass it, else undefined (the Nest route's validation pipe then answers,
 * 400s included). Values come back as the pipe gives them: strings as sent, `pageLimit` a number.
 */
export function acceptQuery<Q>(rules: Readonly<Record<keyof Q & string, QueryValueRule>>): (query: unknown) => Q | undefined {
  const entries = new Map<string, QueryValueRule>(Object.entries(rules));
  return (query: unknown): Q | undefined => {
    if (query === null || typeof query !== 'object') return undefined;
    const out: Record<string, unknown> = {};
    for (const name in query as Record<string, unknown>) {
      const value = (query as Record<string, unknown>)[name];
      const rule = entries.get(name);
      if (rule === undefined || typeof value !== 'string') return undefined;
      if (rule === 'uuid') {
        if (!UUID_PATTERN.test(value)) return undefined;
        out[name] = value;
      } else if (rule === 'pageLimit') {
        if (!PAGE_LIMIT.test(value) || Number(value) > PAGE_LIMIT_MAX) return undefined;
        out[name] = Number(value);
      } else if (rule === 'cursor') {
        if (!CURSOR_CHARS.test(value)) return undefined;
        out[name] = value;
      } else if ('oneOf' in rule) {
        if (!rule.oneOf.includes(value)) return undefined;
        out[name] = value;
      } else if (rule instanceof RegExp) {
        if (!PRINTABLE_ASCII.test(value) || !rule.test(value)) return undefined;
        out[name] = value;
      } else {
        if (value.length < rule.text[0] || value.length > rule.text[1] || !PRINTABLE_ASCII.test(value)) return undefined;
        out[name] = value;
      }
    }
    return out as Q;
  };
}

/** A path parameter the route reads with ParseUuidPipe: a UUID, answered in lower case as the pipe does. */
export function acceptUuidParam(params: unknown, name: string): string | undefined {
  const value = params !== null && typeof params === 'object' ? (params as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && UUID_PATTERN.test(value) ? value.toLowerCase() : undefined;
}
