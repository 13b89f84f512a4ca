import { createServiceApp, type BaseConfig, type ServiceDefinition } from '@ionet/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { testConnections } from './connections';
import { createTestSchema, dropTestSchema } from './postgres';

export interface RunningTestService<C extends BaseConfig> {
  app: NestFastifyApplication;
  config: C;
  /** http://127.0.0.1:<port> of the listening app. */
  baseUrl: string;
  /** The ops key the app accepts (OPS_BOOTSTRAP_API_KEY). */
  opsKey: string;
  close(): Promise<void>;
}

export const TEST_OPS_KEY = 'ionet_ops_test-bootstrap-key-0000000000000000000000';

/** Boots a service on the real stack in its own database schema, listening on a free port. */
export async function startTestService<C extends BaseConfig>(
  definition: ServiceDefinition<C>,
  options: { schema: string; serviceName: string; topicPrefix?: string; env?: Record<string, string> },
): Promise<RunningTestService<C>> {
  const conn = testConnections();
  await createTestSchema(options.schema, conn);
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    SERVICE_NAME: options.serviceName,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    DATABASE_URL: conn.postgresUrl,
    DATABASE_SCHEMA: options.schema,
    DATABASE_POOL_MAX: '4',
    REDIS_URL: conn.redisUrl,
    KAFKA_BROKERS: conn.kafkaBrokers.join(','),
    OPS_BOOTSTRAP_API_KEY: TEST_OPS_KEY,
    KAFKA_TOPIC_PREFIX: options.topicPrefix ?? '',
    ...options.env,
  };
  const { app, config } = await createServiceApp(definition, env);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('the test app has no TCP address');
  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    opsKey: TEST_OPS_KEY,
    async close() {
      await app.close();
      await dropTestSchema(options.schema, conn);
    },
  };
}
