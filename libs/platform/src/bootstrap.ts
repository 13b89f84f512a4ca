import type { DynamicModule } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { LogController, type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import fastifyRateLimit from '@fastify/rate-limit';
import { ConfigError, hasRole, loadConfig, type BaseConfig } from './config/config';
import { PROBLEM_CONTENT_TYPE, problem } from './errors/problem';
import { PinoNestLogger, createLogger, type Logger } from './logging/logger';
import { createMetricsRegistry, instrumentHttp } from './metrics/metrics';
import { loadEdgeConfig } from './auth/edge-config';
import { installEdgeGuards, pathOf } from './auth/edge-guards';
import { ApiKeyService } from './auth/api-key.service';
import { installBodyLimits } from './auth/body-limit.decorator';
import { assertOpsKeyFitFor } from './auth/ops-key-policy';
import { publicDocument, serveOpsDocument } from './auth/ops-docs';
import { serializeReply } from './http/reply-serializer';
import { installFastReads, type AnyFastRead } from './http/fast-read';
import { KafkaBatchTransport } from '@ionet/eventing';

export { VALIDATION_ERRORS_REPORTED_MAX } from './http/reply-serializer';

export interface ServiceDefinition<C extends BaseConfig> {
  /** The service's configuration: `baseConfigSchema.extend({...})`. */
  configSchema: z.ZodType<C, z.ZodTypeDef, unknown>;
  /** The root module, built from the validated configuration. */
  module(config: C, platform: { logger: Logger; metrics: Registry }): DynamicModule;
  openApi: { title: string; description: string; version: string };
  /** Hot GET routes answered outside Nest's chain on their success path (http/fast-read.ts, ADR 0314). */
  fastReads?: readonly AnyFastRead[];
}

/** Builds (does not listen) the Nest application of a service on Fastify, with the platform's
 *  docs at /docs and /openapi.json. Throws ConfigError when the environment is invalid. */
export async function createServiceApp<C extends BaseConfig>(
  definition: ServiceDefinition<C>,
  env: NodeJS.ProcessEnv = process.env,
  /** Where logs go (stdout by default); tests read them from a stream. */
  options: { logDestination?: DestinationStream } = {},
): Promise<{ app: NestFastifyApplication; config: C; logger: Logger }> {
  const config = loadConfig(definition.configSchema, env) as C;
  const edge = loadEdgeConfig(env);
  assertOpsKeyFitFor(config.NODE_ENV, config.OPS_BOOTSTRAP_API_KEY);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL, options.logDestination);
  const metrics = createMetricsRegistry(config.SERVICE_NAME);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One line per request, written below at debug: two info lines per request cost more than
    // a read (ADR 0302).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: edge.HTTP_BODY_LIMIT_BYTES,
    requestTimeout: edge.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: edge.HTTP_CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: edge.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    // Node checks request timeouts on this interval (30 s by default): a slow body is cut off
    // within a second of its deadline.
    http: { connectionsCheckingInterval: 1_000, headersTimeout: Math.min(edge.HTTP_REQUEST_TIMEOUT_MS, 10_000), requestTimeout: edge.HTTP_REQUEST_TIMEOUT_MS },
    ...(edge.HTTP_TRUSTED_PROXIES.length ? { trustProxy: edge.HTTP_TRUSTED_PROXIES } : {}),
    genReqId: (req: IncomingMessage) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(definition.module(config, { logger, metrics }), adapter, {
    logger: new PinoNestLogger(logger),
    // Keeps each body's bytes (request.rawBody): the idempotency fingerprint hashes them.
    rawBody: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  instrumentHttp(fastify, metrics);
  if (!hasRole(config, 'api')) serveOnlyOpsRoutes(fastify as unknown as FastifyInstance);
  if (config.CLOCK_RATE !== 1) logger.warn({ rate: config.CLOCK_RATE, origin: config.CLOCK_ORIGIN }, 'the clock runs accelerated');
  await app.register(fastifyRateLimit, { global: false });
  const keys = app.get(ApiKeyService);
  installEdgeGuards(fastify, edge, (key) => keys.authenticate(key) !== undefined);
  // After the edge guards: key-in-query refusals and rate limits come first on every path.
  installFastReads(fastify as unknown as FastifyInstance, app, definition.fastReads ?? [], (key) => keys.authenticate(key), metrics, { cacheMaxBytes: edge.HTTP_READ_CACHE_MAX_BYTES });
  installBodyLimits(fastify);
  fastify.addHook('onResponse', (request, reply, done) => {
    const level = reply.statusCode >= 500 ? 'warn' : 'debug';
    if (logger.isLevelEnabled(level)) {
      logger[level]({ reqId: request.id, method: request.method, path: pathOf(request.url), statusCode: reply.statusCode, durationMs: Math.round(reply.elapsedTime) }, 'request completed');
    }
    done();
  });
  // Exact integers leave as decimal strings; validation errors are capped (http/reply-serializer.ts).
  fastify.setReplySerializer(serializeReply);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(definition.openApi.title)
      .setDescription(definition.openApi.description)
      .setVersion(definition.openApi.version)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: ionet_<scope>_...' }, 'apiKey')
      .addSecurityRequirements('apiKey')
      .build(),
  );
  // Ops routes are documented at OPS_OPENAPI_PATH, for ops keys only; the public docs omit them.
  serveOpsDocument(fastify, app, document);
  SwaggerModule.setup('docs', app, publicDocument(document), { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  // A service that declared a consumer (EventingModule's `consumer`) in a process with the consumer
  // role gets its @EventPattern handlers connected; the transport is null otherwise.
  const transport = consumerTransportOf(app);
  if (transport) app.connectMicroservice({ strategy: transport });
  await app.init();
  if (transport) await app.startAllMicroservices();
  return { app, config, logger };
}

function consumerTransportOf(app: NestFastifyApplication): KafkaBatchTransport | null {
  // Through ModuleRef: the application's own `get` aborts the process on an unknown provider.
  try {
    return app.get(ModuleRef).get(KafkaBatchTransport, { strict: false }) as KafkaBatchTransport | null;
  } catch {
    // A service without the eventing module has no consumer to connect.
    return null;
  }
}

/** Served by every process whatever its roles: probes, metrics, and the ops API (a redrive or a
 *  rebuild runs where the consumers run). See ADR 0006. */
const ALWAYS_SERVED = /^\/(health(\/|$|\?)|metrics($|\?)|v1\/ops\/)/;

/** Without the `api` role the business routes (and their docs) answer 404, as if not mounted. */
function serveOnlyOpsRoutes(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (ALWAYS_SERVED.test(request.url)) return done();
    void reply
      .status(404)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem(404, 'ROUTE.NOT_FOUND', 'This process does not serve the API (SERVICE_ROLES has no api).', { instance: request.url }));
  });
}

/** Starts a service: listens, logs where to look, and shuts down gracefully on SIGTERM/SIGINT
 *  (in-flight requests finish; a shutdown that hangs is cut at SHUTDOWN_TIMEOUT_MS). A bad
 *  configuration exits with status 78 (EX_CONFIG) and names each bad variable. */
export async function runService<C extends BaseConfig>(definition: ServiceDefinition<C>, onShutdown: () => Promise<void> = async () => undefined): Promise<void> {
  // kafkajs warns on every producer about its 2019 partitioner change; our producers key by aggregate id.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  let created: Awaited<ReturnType<typeof createServiceApp<C>>>;
  try {
    created = await createServiceApp(definition);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const { app, config, logger } = created;
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  const base = `http://${config.HTTP_HOST}:${config.HTTP_PORT}`;
  logger.info({ url: base, docs: `${base}/docs`, openapi: `${base}/openapi.json` }, `${config.SERVICE_NAME} listening`);

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    try {
      await app.close();
      await onShutdown();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}
