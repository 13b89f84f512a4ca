import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { ConfigError, loadConfig, type BaseConfig } from './config/config';
import { PinoNestLogger, createLogger, type Logger } from './logging/logger';
import { createMetricsRegistry, instrumentHttp } from './metrics/metrics';

export interface ServiceDefinition<C extends BaseConfig> {
  /** The service's configuration: `baseConfigSchema.extend({...})`. */
  configSchema: z.ZodType<C, z.ZodTypeDef, unknown>;
  /** The root module, built from the validated configuration. */
  module(config: C, platform: { logger: Logger; metrics: Registry }): DynamicModule;
  openApi: { title: string; description: string; version: string };
}

const BODY_LIMIT_BYTES = 1_048_576;

/** Builds (does not listen) the Nest application of a service on Fastify, with the platform's
 *  docs at /docs and /openapi.json. Throws ConfigError when the environment is invalid. */
export async function createServiceApp<C extends BaseConfig>(
  definition: ServiceDefinition<C>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ app: NestFastifyApplication; config: C; logger: Logger }> {
  const config = loadConfig(definition.configSchema, env) as C;
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const metrics = createMetricsRegistry(config.SERVICE_NAME);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
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
  // Exact integers (base units, offsets, versions) leave as decimal strings, never as a 500.
  fastify.setReplySerializer((payload) => JSON.stringify(payload, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
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
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  await app.init();
  return { app, config, logger };
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
